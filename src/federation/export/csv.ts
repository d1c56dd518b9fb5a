/**
 * The owner's lists as Mastodon's settings export them, byte for byte the same formats
 * (`mastodon/account-csv.ts`): read a page at a time, newest first as Mastodon orders them,
 * and streamed as the download is taken, never held whole.
 */
import type { AppContext } from "../../context";
import { csvRow } from "../../lib/csv";
import { FOLLOWING_HEADER, followingRow, MUTED_HEADER, mutedRow } from "../../mastodon/account-csv";
import {
  type AccountEntry,
  blockedAccounts,
  blockedDomains,
  bookmarkedNotes,
  followedAccounts,
  mutedAccounts,
  type Walk,
} from "../../storage/exports";

/** The files, named as Mastodon names them (`<controller>.csv`). */
export const CSV_EXPORTS = [
  "following_accounts",
  "blocked_accounts",
  "muted_accounts",
  "bookmarks",
  "blocked_domains",
] as const;
export type CsvExport = (typeof CSV_EXPORTS)[number];

/** Rows read a query: a few tens of kilobytes of text each. */
export const EXPORT_PAGE = 500;

/** The rows of a walk, a page at a time, until a page comes back short. */
export async function* walkPages<T extends { readonly seq: number }>(
  read: (walk: Walk) => Promise<T[]>,
  order: Walk["order"],
  limit = EXPORT_PAGE,
): AsyncGenerator<T[]> {
  let from: number | undefined;
  for (;;) {
    const rows = await read({ order, from, limit });
    if (rows.length > 0) yield rows;
    const last = rows.at(-1);
    if (rows.length < limit || last === undefined) return;
    from = last.seq;
  }
}

/** Text pulled a chunk at a time, as UTF-8. */
export function textStream(chunks: AsyncIterable<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const pending = chunks[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await pending.next();
        if (next.done === true) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      },
      async cancel() {
        await pending.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

const acct = (entry: AccountEntry) => `${entry.username}@${entry.domain}`;

/** The file's text: its header (when Mastodon writes one), then a chunk a page. */
async function* csvText(
  ctx: Pick<AppContext, "db" | "config" | "now">,
  kind: CsvExport,
): AsyncGenerator<string> {
  const { db } = ctx;
  const page = (rows: readonly string[][]) => rows.map(csvRow).join("");
  switch (kind) {
    case "following_accounts": {
      yield csvRow(FOLLOWING_HEADER);
      const owner = ctx.config.urls.owner.id;
      for await (const rows of walkPages((w) => followedAccounts(db, owner, w), "newest")) {
        yield page(rows.map((r) => followingRow(acct(r))));
      }
      return;
    }
    case "muted_accounts": {
      yield csvRow(MUTED_HEADER);
      const now = ctx.now();
      for await (const rows of walkPages((w) => mutedAccounts(db, w, now), "newest")) {
        yield page(rows.map((r) => mutedRow(acct(r), r.notifications)));
      }
      return;
    }
    case "blocked_accounts":
      for await (const rows of walkPages((w) => blockedAccounts(db, w), "newest")) {
        yield page(rows.map((r) => [acct(r)]));
      }
      return;
    case "blocked_domains":
      for await (const rows of walkPages((w) => blockedDomains(db, w), "newest")) {
        yield page(rows.map((r) => [r.domain]));
      }
      return;
    case "bookmarks":
      for await (const rows of walkPages((w) => bookmarkedNotes(db, w), "newest")) {
        yield page(rows.map((r) => [r.note]));
      }
      return;
  }
}

/** One of the owner's lists as Mastodon's CSV, streamed. */
export function exportCsv(
  ctx: Pick<AppContext, "db" | "config" | "now">,
  kind: CsvExport,
): ReadableStream<Uint8Array> {
  return textStream(csvText(ctx, kind));
}
