/** Accounts, shaped like Mastodon's client API (`/api/v1/accounts`). */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../env";
import { followAccount, unfollowAccount } from "../../federation/publish/follows";
import { parseHandle, resolveHandle } from "../../federation/resolve";
import { parseMastodonId } from "../../mastodon/ids";
import type { ActorRow } from "../../storage/schema";
import { ownerAccount } from "../../views/statuses";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { findAccount, relationshipsWith, remoteAccount } from "./account-views";

export const accounts = new Hono<AppEnv>();
accounts.use(
  "*",
  requireOwner({
    read: "read:accounts",
    write: "write:accounts",
    except: [[/\/(un)?follow$/, "write:follows"]],
  }),
);

/** An account by handle, found through WebFinger when we do not know it yet. */
accounts.get("/lookup", async (c) => {
  const acct = c.req.query("acct");
  if (acct === undefined || acct.trim() === "")
    return jsonError(c, 400, "the acct parameter is required");
  const { ctx } = c.var;
  const { config } = ctx;
  const local = acct.trim().replace(/^@/, "");
  if (local === config.owner.username || local === `${config.owner.username}@${config.host}`) {
    return c.json(await ownerAccount(ctx));
  }
  const handle = parseHandle(acct);
  if (handle === undefined) return jsonError(c, 400, "acct must be user@host");
  const resolved = await resolveHandle(ctx, handle);
  if (!resolved.ok) {
    return resolved.reason === "notFound"
      ? jsonError(c, 404, "Record not found")
      : jsonError(c, 502, "the account's server did not answer");
  }
  return c.json(await remoteAccount(ctx, resolved.actor));
});

/**
 * The owner's account (its id's low bits are 0) or a remote one (odd), by Mastodon id: of a
 * remote one, what we know, refreshed in the background when due.
 */
accounts.get("/:id", async (c) => {
  const { ctx } = c.var;
  const id = parseMastodonId(c.req.param("id"));
  const found = id === undefined ? undefined : await findAccount(ctx, id);
  if (found === undefined) return jsonError(c, 404, "Record not found");
  return c.json(
    found.kind === "owner" ? await ownerAccount(ctx) : await remoteAccount(ctx, found.row),
  );
});

/** The Relationship after following or unfollowing: the follows, blocks, mutes as they are. */
async function relationship(c: Context<AppEnv>, account: ActorRow) {
  const [answer] = await relationshipsWith(c.var.ctx, [account]);
  return c.json(answer);
}

for (const [path, action] of [
  ["follow", followAccount],
  ["unfollow", unfollowAccount],
] as const) {
  accounts.post(`/:id/${path}`, async (c) => {
    const id = parseMastodonId(c.req.param("id"));
    if (id === undefined) return jsonError(c, 404, "Record not found");
    const result = await action(c.var.ctx, id);
    if (!result.ok) return jsonError(c, result.status, result.error);
    return relationship(c, result.value);
  });
}
