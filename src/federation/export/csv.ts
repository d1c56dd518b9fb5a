/**
 * The owner's lists as Mastodon's settings export them, byte for byte the same formats
 * (`mastodon/account-csv.ts`): read a page at a time, newest first as Mastodon orders them,
 * and streamed as the download is taken, never held whole. What another server named (an
 * account's username, a note's id) is written only when an import would take it back, and
 * no cell starts as a spreadsheet formula would.
 */
import type { AppContext } from "../../context";
import { csvRow, isSafeCell } from "../../lib/csv";
import {
  accountAddress,
  FOLLOWING_HEADER,
  followingRow,
  isExportableHost,
  isExportableUri,
  MUTED_HEADER,
  mutedRow,
} from "../../mastodon/account-csv";
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

const acct = (entry: AccountEntry) => accountAddress(entry.username, entry.domain);

/** A row, or undefined for one left out (a name no import would take back). */
type Row = readonly string[] | undefined;

/** The file's rows, a page at a time. */
async function* rowsOf(
  ctx: Pick<AppContext, "db" | "config" | "now">,
  kind: CsvExport,
): AsyncGenerator<Row[]> {
  const { db } = ctx;
  switch (kind) {
    case "following_accounts": {
      const owner = ctx.config.urls.owner.id;
      for await (const rows of walkPages((w) => followedAccounts(db, owner, w), "newest")) {
        yield rows.map((r) => {
          const address = acct(r);
          return address === undefined ? undefined : followingRow(address);
        });
      }
      return;
    }
    case "muted_accounts": {
      const now = ctx.now();
      for await (const rows of walkPages((w) => mutedAccounts(db, w, now), "newest")) {
        yield rows.map((r) => {
          const address = acct(r);
          return address === undefined ? undefined : mutedRow(address, r.notifications);
        });
      }
      return;
    }
    case "blocked_accounts":
      for await (const rows of walkPages((w) => blockedAccounts(db, w), "newest")) {
        yield rows.map((r) => {
          const address = acct(r);
          return address === undefined ? undefined : [address];
        });
      }
      return;
    case "blocked_domains":
      for await (const rows of walkPages((w) => blockedDomains(db, w), "newest")) {
        yield rows.map((r) => (isExportableHost(r.domain) ? [r.domain] : undefined));
      }
      return;
    case "bookmarks":
      for await (const rows of walkPages((w) => bookmarkedNotes(db, w), "newest")) {
        yield rows.map((r) => (isExportableUri(r.note) ? [r.note] : undefined));
      }
      return;
  }
}

/** The header Mastodon writes first, for the files that have one. */
const HEADERS = new Map<CsvExport, readonly string[]>([
  ["following_accounts", FOLLOWING_HEADER],
  ["muted_accounts", MUTED_HEADER],
]);

/**
 * The file's text: its header (when Mastodon writes one), then a chunk a page. A row is
 * written only when each of its cells is safe (`isSafeCell`: no spreadsheet formula) and
 * its account's address is one an import takes back (another server's account may call
 * itself anything); the rows left out are counted in the log.
 */
async function* csvText(
  ctx: Pick<AppContext, "db" | "config" | "now">,
  kind: CsvExport,
): AsyncGenerator<string> {
  const header = HEADERS.get(kind);
  if (header !== undefined) yield csvRow(header);
  let skipped = 0;
  for await (const rows of rowsOf(ctx, kind)) {
    let text = "";
    for (const row of rows) {
      if (row === undefined || !row.every(isSafeCell)) skipped++;
      else text += csvRow(row);
    }
    if (text !== "") yield text;
  }
  if (skipped > 0) {
    console.warn(
      `export: ${kind}.csv: ${skipped} rows left out (not an address an import takes back)`,
    );
  }
}

/** One of the owner's lists as Mastodon's CSV, streamed. */
export function exportCsv(
  ctx: Pick<AppContext, "db" | "config" | "now">,
  kind: CsvExport,
): ReadableStream<Uint8Array> {
  return textStream(csvText(ctx, kind));
}
