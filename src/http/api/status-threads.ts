/**
 * A status's own pages (`/api/v1/statuses/:id/...`): its context, edit history and source,
 * who liked and boosted it, pinning and bookmarking it. Mounted inside the statuses router,
 * whose `requireOwner` gives each path Mastodon's scope for it (`STATUS_SCOPES`).
 */
import { type Context, Hono } from "hono";
import type { AppContext } from "../../context";
import type { AppEnv } from "../../env";
import { markBookmark } from "../../federation/publish/bookmarks";
import type { ActionResult } from "../../federation/publish/commit";
import { pinStatus, unpinStatus } from "../../federation/publish/pins";
import { boostId, parseMastodonId } from "../../mastodon/ids";
import type { Scope } from "../../mastodon/scopes";
import type { Page } from "../../storage/pages";
import { boostersPage, likersPage, type Reacted } from "../../storage/reaction-pages";
import type { NoteRow } from "../../storage/schema";
import { statusesOf } from "../../views/statuses";
import { jsonError } from "../responses";
import { bySeq, linkHeader, parsePaging } from "./paging";
import { accountsOf, contextOf, historyOf, isBoost, sourceOf, visibleNote } from "./thread-views";

/** The paths of a status's pages that need another scope than `read:statuses`/`write:statuses`. */
export const STATUS_SCOPES: readonly (readonly [RegExp, Scope])[] = [
  [/\/(un)?favourite$/, "write:favourites"],
  [/\/(un)?bookmark$/, "write:bookmarks"],
  [/\/(un)?pin$/, "write:accounts"],
  [/\/(favourited|reblogged)_by$/, "read:accounts"],
];

/** Accounts per page: Mastodon's default and maximum. */
const ACCOUNT_LIMITS = { fallback: 40, max: 80 };

export const statusThreads = new Hono<AppEnv>();

/** The note of the path's status id, if the owner may see it. */
async function noteOfPath(c: Context<AppEnv>): Promise<NoteRow | undefined> {
  const id = parseMastodonId(c.req.param("id"));
  return id === undefined ? undefined : visibleNote(c.var.ctx, id);
}

/** Mastodon's Context: the notes the status answers, from the root, and the replies below. */
statusThreads.get("/:id/context", async (c) => {
  const note = await noteOfPath(c);
  // A boost is a status that answers nothing and that nothing answers, as Mastodon's reblog.
  if (note === undefined && (await isBoost(c.var.ctx, c.req.param("id")))) {
    return c.json({ ancestors: [], descendants: [] });
  }
  if (note === undefined) return jsonError(c, 404, "no such status");
  return c.json(await contextOf(c.var.ctx, note));
});

/** The status's versions, oldest first, ending with the current one. */
statusThreads.get("/:id/history", async (c) => {
  const note = await noteOfPath(c);
  if (note === undefined) return jsonError(c, 404, "no such status");
  return c.json(await historyOf(c.var.ctx, note));
});

/** What the owner wrote, to edit it: only the owner's own statuses have one (else 404). */
statusThreads.get("/:id/source", async (c) => {
  const note = await noteOfPath(c);
  if (note === undefined || note.attributedTo !== c.var.ctx.config.urls.owner.id) {
    return jsonError(c, 404, "no such status");
  }
  return c.json(await sourceOf(c.var.ctx, note));
});

for (const [path, pageOf, noun] of [
  ["favourited_by", "likes", "favourite"],
  ["reblogged_by", "boosts", "status"],
] as const) {
  /** Who liked or boosted the status, newest first, paged as Mastodon pages them. */
  statusThreads.get(`/:id/${path}`, async (c) => {
    const note = await noteOfPath(c);
    if (note === undefined) return jsonError(c, 404, "no such status");
    const paging = parsePaging(c.req.query(), ACCOUNT_LIMITS, noun);
    if (typeof paging === "string") return jsonError(c, 400, paging);
    const { ctx } = c.var;
    const query = { note: note.id, request: paging.request };
    // Likes page by the like's own `seq` (Mastodon's favourite id), boosts by their status id.
    const page: Page<Reacted> =
      pageOf === "likes"
        ? await likersPage(ctx.db, { ...query, request: bySeq(paging.request) })
        : await boostersPage(ctx.db, query);
    const cursor = (row: Reacted) => (pageOf === "likes" ? String(row.seq) : boostId(row));
    const accounts = await accountsOf(
      ctx,
      page.items.map((r) => r.actor),
    );
    const [first, last] = [page.items[0], page.items.at(-1)];
    return c.json(
      accounts,
      200,
      linkHeader({
        url: `${ctx.config.origin}/api/v1/statuses/${c.req.param("id")}/${path}`,
        kept: paging.kept,
        newest: first && cursor(first),
        oldest: last && cursor(last),
        hasOlder: page.hasOlder,
      }),
    );
  });
}

/** Answers the status of an action's note, or its error. */
async function answer(c: Context<AppEnv>, result: ActionResult<NoteRow>) {
  if (!result.ok) return jsonError(c, result.status, result.error);
  const [status] = await statusesOf(c.var.ctx, [result.value.seq]);
  return status === undefined ? jsonError(c, 404, "no such status") : c.json(status);
}

/** The owner's marks on a status: each answers the status as it is now. */
const ACTIONS: Record<string, (ctx: AppContext, id: bigint) => Promise<ActionResult<NoteRow>>> = {
  pin: pinStatus,
  unpin: unpinStatus,
  bookmark: (ctx, id) => markBookmark(ctx, id, true),
  unbookmark: (ctx, id) => markBookmark(ctx, id, false),
};

for (const [path, act] of Object.entries(ACTIONS)) {
  statusThreads.post(`/:id/${path}`, async (c) => {
    const id = parseMastodonId(c.req.param("id"));
    if (id === undefined) return jsonError(c, 404, "no such status");
    return answer(c, await act(c.var.ctx, id));
  });
}
