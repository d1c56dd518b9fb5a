/**
 * The owner's exports, what Mastodon's settings page offers (`/settings/exports`), from the
 * owner's API: `GET /api/outpost/exports/<file>.csv`, each file named and shaped as
 * Mastodon's (so that Mastodon, or Outpost, imports it as it is) and guarded by the scope
 * Mastodon's API asks to read the same list; and `GET /api/outpost/exports/archive`, the
 * archive takeout (a zip), which holds everything and asks for `read`. Under
 * `/api/outpost/`, beside the authorized apps: Mastodon serves these from its web pages, not
 * from `/api/v1`, whose paths are Mastodon's to define. Streamed, never built in memory.
 *
 * The archive is one invocation however long it downloads: it deflates every post, which
 * costs CPU time, so a large archive needs the Workers paid plan (the free plan's 10 ms of
 * CPU a request would end it early: a truncated zip). It makes at most `MAX_ARCHIVE_CALLS` calls
 * to D1 and R2 (one a thousand posts, one a media file), under Cloudflare's 1,000 an
 * invocation; the media past them are listed in its `missing_media.json`.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { archiveStream } from "../../federation/export/archive";
import { type CsvExport, exportCsv } from "../../federation/export/csv";
import type { Scope } from "../../mastodon/scopes";
import { requireOwner } from "../middleware/owner-auth";

/** What reading each list needs through Mastodon's API (`/api/v1/follows`... `/blocks`...). */
const CSV_SCOPES: Record<CsvExport, Scope> = {
  following_accounts: "read:follows",
  blocked_accounts: "read:blocks",
  muted_accounts: "read:mutes",
  bookmarks: "read:bookmarks",
  blocked_domains: "read:blocks",
};

/** A download's headers: its type, its file name, and that no cache keeps it. */
const download = (type: string, filename: string) => ({
  "Content-Type": type,
  "Content-Disposition": `attachment; filename="${filename}"`,
  "Cache-Control": "private, no-store",
});

export const exportsApi = new Hono<AppEnv>();

for (const [kind, scope] of Object.entries(CSV_SCOPES) as [CsvExport, Scope][]) {
  const filename = `${kind}.csv`;
  exportsApi.get(`/${filename}`, requireOwner({ read: scope, write: scope }), (c) =>
    c.body(exportCsv(c.var.ctx, kind), 200, download("text/csv; charset=utf-8", filename)),
  );
}

exportsApi.get("/archive", requireOwner({ read: "read", write: "read" }), (c) => {
  const { ctx } = c.var;
  const stamp = ctx.now().toISOString().replaceAll(/[-:T]/g, "").slice(0, 14);
  return c.body(archiveStream(ctx), 200, download("application/zip", `archive-${stamp}.zip`));
});
