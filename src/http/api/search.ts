/**
 * `GET /api/v2/search`, Mastodon's search (`federation/search.ts` says what it finds). Its
 * parameters are Mastodon's; a malformed one is a 422, a missing `q` a 400 (as Mastodon's
 * `params.require`). `/api/v1/search` is not served: Mastodon removed it in 3.0, and apps
 * that speak to a 4.x server ask for v2.
 */
import { Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../env";
import { SEARCH_TYPES, search } from "../../federation/search";
import { firstIssue } from "../../lib/issues";
import { parseMastodonId } from "../../mastodon/ids";
import { serializeActor } from "../../mastodon/serialize";
import { serializeTag } from "../../mastodon/tags";
import { ownerAccount, statusesFor } from "../../views/statuses";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { Flag } from "./input";

/** Results of each kind: Mastodon's default, and its most (a larger `limit` is lowered to it). */
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 40;
/** The longest query, in characters: ten times a Mastodon post. */
export const MAX_QUERY_LENGTH = 5_000;
/**
 * The deepest page, as results skipped: Elasticsearch's default window (10,000), which bounds
 * Mastodon's search too. Skipping costs a read of each skipped match.
 */
export const MAX_OFFSET = 10_000;

const id = (noun: string) =>
  v.pipe(
    v.string(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const parsed = parseMastodonId(dataset.value);
      if (parsed !== undefined) return parsed;
      addIssue({ message: `must be ${noun} id` });
      return NEVER;
    }),
  );

const whole = (message: string) =>
  v.pipe(
    v.string(),
    v.regex(/^\d{1,6}$/, message),
    v.transform((n) => Number(n)),
  );

const Query = v.object({
  q: v.pipe(
    v.string(),
    v.maxLength(MAX_QUERY_LENGTH, `is longer than ${MAX_QUERY_LENGTH} characters`),
  ),
  type: v.optional(v.picklist(SEARCH_TYPES, "must be accounts, statuses or hashtags")),
  resolve: v.optional(Flag),
  following: v.optional(Flag),
  // Outpost reviews no hashtags, so there are none to leave out; read to be checked.
  exclude_unreviewed: v.optional(Flag),
  account_id: v.optional(id("an account")),
  max_id: v.optional(id("a status")),
  min_id: v.optional(id("a status")),
  limit: v.optional(
    v.pipe(
      whole("must be a positive integer"),
      v.minValue(1, "must be a positive integer"),
      v.transform((n) => Math.min(n, MAX_LIMIT)),
    ),
  ),
  offset: v.optional(
    v.pipe(
      whole("must be a whole number"),
      v.maxValue(MAX_OFFSET, `must be at most ${MAX_OFFSET}`),
    ),
  ),
});

export const searchApi = new Hono<AppEnv>();
// The router has only reads.
searchApi.use("*", requireOwner({ read: "read:search", write: "read:search" }));

searchApi.get("/", async (c) => {
  // An empty parameter counts as absent (Mastodon's `present?`), `q` aside.
  const given = Object.fromEntries(
    Object.entries(c.req.query()).filter(([key, value]) => key === "q" || value !== ""),
  );
  if (given.q === undefined) return jsonError(c, 400, "q is missing");
  const parsed = v.safeParse(Query, given);
  if (!parsed.success) {
    const { path, message } = firstIssue(parsed.issues);
    return jsonError(c, 422, `${path.join(".") || "parameter"} ${message}`);
  }
  const query = parsed.output;
  const { ctx } = c.var;
  const result = await search(ctx, {
    q: query.q,
    type: query.type,
    resolve: query.resolve ?? false,
    following: query.following ?? false,
    accountId: query.account_id,
    maxId: query.max_id,
    minId: query.min_id,
    limit: query.limit ?? DEFAULT_LIMIT,
    offset: query.offset ?? 0,
  });
  if (!result.ok) return jsonError(c, 404, "Record not found");
  const { found } = result;
  const owner = await ownerAccount(ctx);
  const statuses = await statusesFor(ctx, found.notes, owner);
  return c.json({
    accounts: [
      ...(found.owner ? [owner] : []),
      ...found.actors.map((actor) => serializeActor(ctx.config, actor)),
    ],
    statuses,
    hashtags: found.hashtags.map((name) => serializeTag(ctx.config, name)),
  });
});
