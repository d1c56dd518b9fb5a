/**
 * Accounts in lists, shaped like Mastodon's client API: an account's followers and whom it
 * follows (`/api/v1/accounts/:id/followers`, `/following`), the owner's relationships with
 * accounts (`/relationships?id[]=`), and the accounts search (`/search?q=`). Mounted before
 * the accounts router, whose `/:id` would take `relationships` and `search` for ids; its
 * paths share that router's prefix, so each route carries its own auth.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { findAccounts } from "../../federation/search";
import { selfRelationship } from "../../mastodon/accounts";
import { isRemoteAccountId, parseMastodonId } from "../../mastodon/ids";
import { serializeActor } from "../../mastodon/serialize";
import { actorsByApiIds } from "../../storage/actors";
import { type FollowSide, pageFollows } from "../../storage/follows";
import { MAX_RELATIONSHIP_ACCOUNTS } from "../../storage/relationships";
import { ownerAccount } from "../../views/statuses";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { accountsByActor, findAccount, relationshipsWith } from "./account-views";
import { queryFlag } from "./input";
import { bySeq, linkHeader, parsePaging } from "./paging";

export const accountLists = new Hono<AppEnv>();

const readAccounts = requireOwner({ read: "read:accounts", write: "write:accounts" });

/** Accounts per page: Mastodon's default and maximum. */
export const ACCOUNTS_LIMITS = { fallback: 40, max: 80 } as const;

/**
 * Who follows an account and whom it follows, newest follow first, paged by the follow
 * (Mastodon pages these by its follow's id, as here). The owner's lists are theirs; of a
 * remote account, we know only the follows between it and the owner, which is what is shown
 * (Mastodon likewise shows what it knows of a remote account's).
 */
for (const side of ["followers", "following"] as const satisfies readonly FollowSide[]) {
  accountLists.get(`/v1/accounts/:id/${side}`, readAccounts, async (c) => {
    const { ctx } = c.var;
    const paging = parsePaging(c.req.query(), ACCOUNTS_LIMITS, "account");
    if (typeof paging === "string") return jsonError(c, 400, paging);
    const id = parseMastodonId(c.req.param("id"));
    const found = id === undefined ? undefined : await findAccount(ctx, id);
    if (found === undefined) return jsonError(c, 404, "Record not found");
    const page = await pageFollows(ctx.db, { side, actor: found.actor }, bySeq(paging.request));
    const accounts = await accountsByActor(
      ctx,
      page.items.map((item) => item.actor),
    );
    return c.json(
      page.items.flatMap((item) => accounts.get(item.actor) ?? []),
      200,
      linkHeader({
        url: `${ctx.config.origin}/api/v1/accounts/${c.req.param("id")}/${side}`,
        kept: paging.kept,
        newest: page.items[0]?.seq.toString(),
        oldest: page.items.at(-1)?.seq.toString(),
        hasOlder: page.hasOlder,
      }),
    );
  });
}

/**
 * The owner's relationship with each account named (`id[]=`, or `id=`), in the order named;
 * ids that name no account are left out, as on Mastodon. At most 80 accounts a request.
 */
accountLists.get(
  "/v1/accounts/relationships",
  requireOwner({ read: "read:follows", write: "write:follows" }),
  async (c) => {
    const { ctx } = c.var;
    const named = [...new Set([...(c.req.queries("id[]") ?? []), ...(c.req.queries("id") ?? [])])];
    if (named.length > MAX_RELATIONSHIP_ACCOUNTS) {
      return jsonError(c, 422, `id[] may name at most ${MAX_RELATIONSHIP_ACCOUNTS} accounts`);
    }
    const ids = named.flatMap((text) => parseMastodonId(text) ?? []);
    const remote = ids.filter(isRemoteAccountId);
    const [rows, owner] = await Promise.all([
      actorsByApiIds(ctx.db, remote),
      remote.length < ids.length ? ownerAccount(ctx) : undefined,
    ]);
    const relationships = await relationshipsWith(ctx, rows);
    const byId = new Map(relationships.map((r) => [r.id, r]));
    if (owner !== undefined) byId.set(owner.id, selfRelationship(owner.id));
    return c.json(ids.flatMap((id) => byId.get(id.toString()) ?? []));
  },
);

/**
 * A number as Mastodon reads one from a query (Ruby's `to_i`): its leading digits, with their
 * sign; 0 when it has none.
 */
function railsInteger(value: string): number {
  const digits = /^\s*([+-]?\d+)/.exec(value)?.[1];
  return digits === undefined ? 0 : Number(digits);
}

/** The deepest page, as accounts skipped (the search of `/api/v2/search` goes as deep). */
const MAX_OFFSET = 10_000;

/**
 * Accounts by what the owner typed (`findAccounts`, as `/api/v2/search` finds them), the
 * owner first when they match; with `following=true` only those the owner follows, with
 * `resolve=true` a whole handle (`user@host`) looked up by WebFinger when it is not stored.
 * Parameters as Mastodon reads them: no `q` finds nothing (200, `[]`); `limit` is its
 * absolute value, at most 80, and 0 finds nothing; a negative `offset` is refused (422:
 * Mastodon's database would refuse it with a 500).
 */
accountLists.get("/v1/accounts/search", readAccounts, async (c) => {
  const { ctx } = c.var;
  const query = c.req.query();
  const limit =
    query.limit === undefined || query.limit === ""
      ? ACCOUNTS_LIMITS.fallback
      : Math.min(Math.abs(railsInteger(query.limit)), ACCOUNTS_LIMITS.max);
  const offset = railsInteger(query.offset ?? "");
  if (offset < 0) return jsonError(c, 422, "offset must be a whole number");
  const q = (query.q ?? "").trim();
  if (q === "" || limit === 0) return c.json([]);
  const found = await findAccounts(ctx, q, {
    resolve: queryFlag(query.resolve),
    following: queryFlag(query.following),
    limit,
    offset: Math.min(offset, MAX_OFFSET),
  });
  const owner = found.owner ? [await ownerAccount(ctx)] : [];
  return c.json([...owner, ...found.actors.map((actor) => serializeActor(ctx.config, actor))]);
});
