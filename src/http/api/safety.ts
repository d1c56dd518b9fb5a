/**
 * What the owner keeps away, shaped like Mastodon's client API: blocking and muting an
 * account (`/api/v1/accounts/:id/block|unblock|mute|unmute`, answered with the
 * Relationship), the lists of blocked and muted accounts (`/api/v1/blocks`, `/api/v1/mutes`)
 * and blocked domains (`/api/v1/domain_blocks`). The account actions share the accounts
 * router's prefix and are mounted before it, so each carries its own auth rather than a
 * `use("*")` that would reach the accounts routes too.
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../env";
import {
  blockAccount,
  blockDomain,
  unblockAccount,
  unblockDomain,
} from "../../federation/publish/blocks";
import type { ActionResult } from "../../federation/publish/commit";
import { muteAccount, unmuteAccount } from "../../federation/publish/mutes";
import { parseMastodonId } from "../../mastodon/ids";
import { serializeMutedAccount } from "../../mastodon/safety";
import { serializeActor } from "../../mastodon/serialize";
import { pageBlocks, pageDomainBlocks, pageMutes } from "../../storage/safety";
import type { ActorRow } from "../../storage/schema";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { relationshipsWith } from "./account-views";
import { linkHeader, parsePaging } from "./paging";
import { readDomainInput, readMuteInput } from "./safety-input";

/** Accounts per page of blocks and mutes: Mastodon's default and maximum. */
const ACCOUNT_LIMITS = { fallback: 40, max: 80 } as const;
/** Domains per page: Mastodon's default and maximum. */
const DOMAIN_LIMITS = { fallback: 100, max: 200 } as const;

const blockScopes = requireOwner({ read: "read:blocks", write: "write:blocks" });
const muteScopes = requireOwner({ read: "read:mutes", write: "write:mutes" });

/**
 * The answer to an account action: the Relationship as it now is (the one `/relationships`
 * answers for the account), or the action's error.
 */
async function relationship(c: Context<AppEnv>, result: ActionResult<ActorRow>) {
  if (!result.ok) return jsonError(c, result.status, result.error);
  const [answer] = await relationshipsWith(c.var.ctx, [result.value]);
  return c.json(answer);
}

/** `/api/v1/accounts/:id/…`: mounted before the accounts router. */
export const safetyActions = new Hono<AppEnv>();

for (const [path, action] of [
  ["block", blockAccount],
  ["unblock", unblockAccount],
] as const) {
  safetyActions.post(`/:id/${path}`, blockScopes, async (c) => {
    const id = parseMastodonId(c.req.param("id"));
    if (id === undefined) return jsonError(c, 404, "Record not found");
    return relationship(c, await action(c.var.ctx, id));
  });
}

/** Mutes: `notifications` (default true), `duration` in seconds (0, the default: for good). */
safetyActions.post("/:id/mute", muteScopes, async (c) => {
  const id = parseMastodonId(c.req.param("id"));
  if (id === undefined) return jsonError(c, 404, "Record not found");
  const input = await readMuteInput(c);
  if (!input.ok) return jsonError(c, input.status, input.error);
  return relationship(c, await muteAccount(c.var.ctx, id, input.value));
});

safetyActions.post("/:id/unmute", muteScopes, async (c) => {
  const id = parseMastodonId(c.req.param("id"));
  if (id === undefined) return jsonError(c, 404, "Record not found");
  return relationship(c, await unmuteAccount(c.var.ctx, id));
});

/** `/api/v1/blocks`: the blocked accounts, newest block first, paged by the blocks' ids. */
export const blocksList = new Hono<AppEnv>();
blocksList.use("*", blockScopes);

blocksList.get("/", async (c) => {
  const paging = parsePaging(c.req.query(), ACCOUNT_LIMITS, "block");
  if (typeof paging === "string") return jsonError(c, 400, paging);
  const { db, config } = c.var.ctx;
  const { items, hasOlder } = await pageBlocks(db, paging.request);
  return c.json(
    items.map((item) => serializeActor(config, item.actor)),
    200,
    linkHeader({
      url: `${config.origin}/api/v1/blocks`,
      kept: paging.kept,
      newest: items[0]?.id,
      oldest: items.at(-1)?.id,
      hasOlder,
    }),
  );
});

/** `/api/v1/mutes`: the accounts muted now, newest mute first, with when each mute ends. */
export const mutesList = new Hono<AppEnv>();
mutesList.use("*", muteScopes);

mutesList.get("/", async (c) => {
  const paging = parsePaging(c.req.query(), ACCOUNT_LIMITS, "mute");
  if (typeof paging === "string") return jsonError(c, 400, paging);
  const { db, config, now } = c.var.ctx;
  const { items, hasOlder } = await pageMutes(db, paging.request, now());
  return c.json(
    items.map((item) => serializeMutedAccount(config, item)),
    200,
    linkHeader({
      url: `${config.origin}/api/v1/mutes`,
      kept: paging.kept,
      newest: items[0]?.id,
      oldest: items.at(-1)?.id,
      hasOlder,
    }),
  );
});

/**
 * `/api/v1/domain_blocks`: the blocked domains (strings, newest first, paged by the blocks'
 * ids); `POST` and `DELETE` with `domain`, which answer `{}` as Mastodon does.
 */
export const domainBlocks = new Hono<AppEnv>();
domainBlocks.use("*", blockScopes);

domainBlocks.get("/", async (c) => {
  const paging = parsePaging(c.req.query(), DOMAIN_LIMITS, "domain block");
  if (typeof paging === "string") return jsonError(c, 400, paging);
  const { db, config } = c.var.ctx;
  const { items, hasOlder } = await pageDomainBlocks(db, paging.request);
  return c.json(
    items.map((item) => item.domain),
    200,
    linkHeader({
      url: `${config.origin}/api/v1/domain_blocks`,
      kept: paging.kept,
      newest: items[0]?.id,
      oldest: items.at(-1)?.id,
      hasOlder,
    }),
  );
});

domainBlocks.post("/", async (c) => {
  const { ctx } = c.var;
  const domain = await readDomainInput(c, ctx.config.host);
  if (!domain.ok) return jsonError(c, domain.status, domain.error);
  await blockDomain(ctx, domain.value);
  return c.json({});
});

domainBlocks.delete("/", async (c) => {
  const { ctx } = c.var;
  const domain = await readDomainInput(c, ctx.config.host);
  if (!domain.ok) return jsonError(c, domain.status, domain.error);
  await unblockDomain(ctx, domain.value);
  return c.json({});
});
