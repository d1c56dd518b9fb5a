/**
 * Mastodon's CSV files of accounts, as its settings export them (`app/models/export.rb`) and
 * its import reads them (`app/models/form/import.rb`): `following_accounts.csv` with a header
 * row, `muted_accounts.csv` with one, `blocked_accounts.csv`, `blocked_domains.csv` and
 * `bookmarks.csv` without. An import takes the file with its header, or one account per line
 * without one (the first column then names it), as Mastodon does.
 */
import type { Handle } from "../activitypub/compose";
import { parseCsvLine } from "../lib/csv";
import type { ImportRow } from "../storage/schema-imports";

export const FOLLOWING_HEADER = [
  "Account address",
  "Show boosts",
  "Notify on new posts",
  "Languages",
] as const;
export const MUTED_HEADER = ["Account address", "Hide notifications"] as const;

/**
 * Mastodon's grammar of a username (`Account::USERNAME_RE`): what its import takes, and what
 * a spreadsheet cannot read as a formula. Another server's `preferredUsername` may hold
 * anything; an account whose name does not match is left out of an export.
 */
const USERNAME = /^[A-Za-z0-9_]+(?:[A-Za-z0-9_.-]+[A-Za-z0-9_]+)?$/;
/** A DNS label: letters, digits and inner hyphens, 63 at most. */
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const PORT = /^\d{1,5}$/;

/** Whether `host` is a hostname, with a port or not, as an account address may name it. */
export function isExportableHost(host: string): boolean {
  const [name = "", port, ...rest] = host.split(":");
  if (rest.length > 0 || (port !== undefined && !PORT.test(port))) return false;
  return name.length <= 253 && name.split(".").every((label) => LABEL.test(label));
}

/** An account's address (`user@host`) as an export writes it; undefined when it is not one. */
export function accountAddress(username: string, host: string): string | undefined {
  return USERNAME.test(username) && isExportableHost(host) ? `${username}@${host}` : undefined;
}

/** Whether a note's id may be written as a bookmark: an http(s) URL, with no spaces. */
export function isExportableUri(uri: string): boolean {
  return /^https?:\/\/\S+$/.test(uri) && URL.canParse(uri);
}

/**
 * A row of `following_accounts.csv`. Outpost keeps no per-follow settings, so each follow
 * has Mastodon's defaults: boosts shown, no notification of new posts, every language.
 */
export const followingRow = (acct: string): string[] => [acct, "true", "false", ""];

/** A row of `muted_accounts.csv`. */
export const mutedRow = (acct: string, hideNotifications: boolean): string[] => [
  acct,
  String(hideNotifications),
];

/** Mastodon's cap on the rows of an import (`ROWS_PROCESSING_LIMIT`). */
export const MAX_IMPORT_ROWS = 20_000;

/** The first header of each of Mastodon's files: a first line starting so is a header. */
const KNOWN_FIRST_HEADERS: ReadonlySet<string> = new Set([
  "Account address",
  "#domain",
  "#uri",
  "List name",
]);

export type ReadAccounts =
  | { readonly ok: true; readonly rows: ImportRow[]; readonly duplicates: number }
  | { readonly ok: false; readonly error: string; readonly line?: number };

/** What a refused value looks like in an error: short, on one line. */
const shown = (value: string) =>
  JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);

/**
 * The accounts a following list names, each once (the first row naming it wins), with its
 * line; or why the file is refused, naming the line. `parseHandle` reads an address
 * (`user@host`, `@user@host`) into a handle with the host lower-cased.
 */
export function readFollowingCsv(
  text: string,
  parseHandle: (address: string) => Handle | undefined,
): ReadAccounts {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  let column = 0;
  let first = true;
  let count = 0;
  const rows: ImportRow[] = [];
  const seen = new Set<string>();
  for (const [index, line] of lines.entries()) {
    const number = index + 1;
    if (line.trim() === "") continue;
    const fields = parseCsvLine(line);
    if (fields === undefined)
      return { ok: false, error: `line ${number}: malformed CSV`, line: number };
    if (first) {
      first = false;
      const header = fields.map((f) => f.trim());
      if (KNOWN_FIRST_HEADERS.has(header[0] ?? "")) {
        column = header.indexOf("Account address");
        if (column === -1) {
          return {
            ok: false,
            error: `line ${number}: not a list of accounts (no "Account address" column)`,
            line: number,
          };
        }
        continue;
      }
    }
    if (++count > MAX_IMPORT_ROWS) {
      return { ok: false, error: `more than ${MAX_IMPORT_ROWS} rows`, line: number };
    }
    const address = (fields[column] ?? "").trim();
    const handle = parseHandle(address);
    if (handle === undefined) {
      return {
        ok: false,
        error: `line ${number}: ${shown(address)} is not an account address (user@domain)`,
        line: number,
      };
    }
    const key = `${handle.username}@${handle.host}`;
    if (seen.has(key.toLowerCase())) continue;
    seen.add(key.toLowerCase());
    rows.push({ line: number, handle: key });
  }
  if (rows.length === 0) return { ok: false, error: "the file names no account" };
  return { ok: true, rows, duplicates: count - rows.length };
}
