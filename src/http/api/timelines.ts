/** The owner's timelines, shaped like Mastodon's client API (`/api/v1/timelines`). */
import { Hono } from "hono";
import * as v from "valibot";
import type { AppEnv, Config } from "../../env";
import {
  loadStatusContext,
  type MastodonAccount,
  type MastodonStatus,
  serializeStatus,
} from "../../mastodon/serialize";
import { createDb, type Db } from "../../storage/db";
import type { NoteRow } from "../../storage/schema";
import { homeTimeline, type TimelineRequest } from "../../storage/timeline";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { ownerAccount } from "./views";

/** Statuses per page: Mastodon's default and maximum (a larger `limit` is lowered to it). */
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 40;

export const timelines = new Hono<AppEnv>();
timelines.use("*", requireOwner());

const Cursor = v.optional(
  v.pipe(
    v.string(),
    v.regex(/^\d{1,15}$/, "must be a status id"),
    v.transform((id) => Number(id)),
  ),
);
const Query = v.object({
  max_id: Cursor,
  since_id: Cursor,
  min_id: Cursor,
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,6}$/, "must be a positive integer"),
      v.transform((n) => Number(n)),
      v.minValue(1, "must be a positive integer"),
      v.transform((n) => Math.min(n, MAX_LIMIT)),
    ),
    String(DEFAULT_LIMIT),
  ),
});

type PageQuery =
  | { readonly ok: true; readonly request: TimelineRequest; readonly limitGiven: boolean }
  | { readonly ok: false; readonly error: string };

/** The paging parameters; an empty one counts as absent, as Mastodon's `present?` has it. */
function parsePageQuery(query: Record<string, string>): PageQuery {
  const given = Object.fromEntries(Object.entries(query).filter(([, value]) => value !== ""));
  const parsed = v.safeParse(Query, given);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const key = issue?.path?.map((p) => String(p.key)).join(".") ?? "parameter";
    return { ok: false, error: `${key} ${issue?.message ?? "is invalid"}` };
  }
  const { max_id, since_id, min_id, limit } = parsed.output;
  return {
    ok: true,
    request: { maxId: max_id, sinceId: since_id, minId: min_id, limit },
    limitGiven: given.limit !== undefined,
  };
}

/** Statuses for rows already read (`statusesOf` would read them again by `seq`). */
async function serializeRows(
  db: Db,
  config: Config,
  owner: MastodonAccount,
  rows: readonly NoteRow[],
): Promise<MastodonStatus[]> {
  if (rows.length === 0) return [];
  const context = await loadStatusContext(db, config, owner, rows);
  return context.items.map((item) => serializeStatus(context, item));
}

/**
 * The owner's notes and those of the accounts they follow, newest first. Paged like
 * Mastodon: `max_id`, `since_id`, `min_id`, `limit`, and a `Link` header (`next` goes older
 * with `max_id`, `prev` newer with `min_id`) on every page that is not empty; `next` is left
 * out when the page is known to be the oldest.
 */
timelines.get("/home", async (c) => {
  const page = parsePageQuery(c.req.query());
  if (!page.ok) return jsonError(c, 400, page.error);
  const config = c.var.config;
  const db = createDb(c.env.DB);
  // The owner's account is read while the page is: serialising needs both.
  const [owner, { items, hasOlder }] = await Promise.all([
    ownerAccount(db, config),
    homeTimeline(db, config.urls.owner.id, page.request),
  ]);
  const statuses = await serializeRows(db, config, owner, items);
  const newest = items[0];
  const oldest = items[items.length - 1];
  if (newest === undefined || oldest === undefined) return c.json(statuses);
  const link = (rel: "next" | "prev", cursor: "max_id" | "min_id", seq: number) => {
    const params = new URLSearchParams({ [cursor]: String(seq) });
    if (page.limitGiven) params.set("limit", String(page.request.limit));
    return `<${config.origin}/api/v1/timelines/home?${params}>; rel="${rel}"`;
  };
  const links = [
    ...(hasOlder ? [link("next", "max_id", oldest.seq)] : []),
    link("prev", "min_id", newest.seq),
  ];
  return c.json(statuses, 200, { Link: links.join(", ") });
});
