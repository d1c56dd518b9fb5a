/**
 * Filters as Mastodon shows and applies them: the Filter, FilterKeyword and FilterStatus
 * entities (and v1's Filter, one per keyword), and which filters match a status. Pure: the
 * caller reads the filters in force (`activeFilters`, `storage/filters.ts`) beside the page it
 * shows, then `applyFilters` marks each status with what matched it (`filtered`) and drops
 * those a `hide` filter matches.
 *
 * Matching is Mastodon's: a filter matches a status when one of its keywords occurs in the
 * status's text (its content warning, its content as plain text, its media descriptions),
 * case-insensitively, or when it names the status (or, for a boost, the status boosted). A
 * whole-word keyword must not have a word character (a letter, mark, digit or connector)
 * just before or after it where it starts or ends with one; other keywords match anywhere.
 */
import { htmlToText } from "../lib/html-text";
import type { ActiveFilter, FilterStatusView, FilterWithRules } from "../storage/filters";
import type { FilterContext, FilterKeywordRow, FilterRow } from "../storage/schema-lists";
import type { MastodonStatus } from "./serialize";

/** A filter as a FilterResult shows it: without its keywords and statuses. */
export function serializeFilterSummary(row: FilterRow) {
  return {
    id: String(row.seq),
    title: row.title,
    context: row.context,
    expires_at: row.expiresAt === null ? null : row.expiresAt.toISOString(),
    filter_action: row.action,
  };
}

export function serializeFilterKeyword(row: FilterKeywordRow) {
  return { id: String(row.seq), keyword: row.keyword, whole_word: row.wholeWord };
}

export function serializeFilterStatus(row: FilterStatusView) {
  return { id: String(row.seq), status_id: row.statusId };
}

/** Mastodon's Filter (v2), with its keywords and statuses. */
export function serializeFilter(rules: FilterWithRules) {
  return {
    ...serializeFilterSummary(rules.filter),
    keywords: rules.keywords.map(serializeFilterKeyword),
    statuses: rules.statuses.map(serializeFilterStatus),
  };
}

/** v1's Filters: one per keyword of each filter, as Mastodon flattens them for older apps. */
export function serializeV1Filters(all: readonly FilterWithRules[]) {
  return all.flatMap(({ filter, keywords }) =>
    keywords.map((k) => ({
      id: String(k.seq),
      phrase: k.keyword,
      context: filter.context,
      whole_word: k.wholeWord,
      expires_at: filter.expiresAt === null ? null : filter.expiresAt.toISOString(),
      irreversible: filter.action === "hide",
    })),
  );
}

/** What matched a status: Mastodon's FilterResult. */
export interface FilterResult {
  readonly filter: ReturnType<typeof serializeFilterSummary>;
  /** The text each keyword match found (Mastodon gives the first match). */
  readonly keyword_matches: readonly string[];
  /** The ids of the statuses the filter names, among the status and what it boosts. */
  readonly status_matches: readonly string[];
}

/** A status with what matched it, and its boosted status with the same. */
export interface FilteredStatus extends Omit<MastodonStatus, "reblog"> {
  readonly filtered: readonly FilterResult[];
  readonly reblog: FilteredStatus | null;
}

/** A filter ready to match: its keywords as one expression, the notes it names. */
interface CompiledFilter {
  readonly filter: FilterRow;
  readonly pattern: RegExp | undefined;
  readonly notes: ReadonlySet<string>;
}

/** The filters to apply in a context at a time: those in force, compiled once per request. */
export interface StatusFilters {
  readonly compiled: readonly CompiledFilter[];
}

/** A word character as Mastodon's `[[:word:]]` reads one. */
const WORD = String.raw`[\p{L}\p{M}\p{N}\p{Pc}]`;
const STARTS_WITH_WORD = new RegExp(`^${WORD}`, "u");
const ENDS_WITH_WORD = new RegExp(`${WORD}$`, "u");

/** The characters that mean something in an expression (with the `u` flag, only these). */
const escapeRegExp = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");

function keywordPattern(keyword: Pick<FilterKeywordRow, "keyword" | "wholeWord">): string {
  const text = escapeRegExp(keyword.keyword);
  if (!keyword.wholeWord) return text;
  const before = STARTS_WITH_WORD.test(keyword.keyword) ? `(?<!${WORD})` : "";
  const after = ENDS_WITH_WORD.test(keyword.keyword) ? `(?!${WORD})` : "";
  return `${before}${text}${after}`;
}

/** Whether a filter applies in `context` at `now`. */
export function isInForce(filter: FilterRow, context: FilterContext, now: Date): boolean {
  const expired = filter.expiresAt !== null && filter.expiresAt.getTime() <= now.getTime();
  return !expired && filter.context.includes(context);
}

/** Prepares the filters read for a page: those in force in `context` at `now`. */
export function compileFilters(
  active: readonly ActiveFilter[],
  context: FilterContext,
  now: Date,
): StatusFilters {
  const compiled = active
    .filter((a) => isInForce(a.filter, context, now))
    .map(({ filter, keywords, notes }) => {
      const alternatives = keywords.filter((k) => k.keyword !== "").map(keywordPattern);
      return {
        filter,
        pattern: alternatives.length === 0 ? undefined : new RegExp(alternatives.join("|"), "iu"),
        notes: new Set(notes),
      };
    });
  return { compiled };
}

/** What a filter matches a status by: its text, and its id and note (and the boosted one's). */
export interface FilterTarget {
  readonly text: string;
  readonly statuses: readonly { readonly id: string; readonly uri: string }[];
}

/** The filters that match a status, as Mastodon's FilterResults. */
export function matchFilters(filters: StatusFilters, target: FilterTarget): FilterResult[] {
  return filters.compiled.flatMap(({ filter, pattern, notes }) => {
    const found = pattern?.exec(target.text)?.[0];
    const keyword_matches = found === undefined ? [] : [found];
    const status_matches = target.statuses.filter((s) => notes.has(s.uri)).map((s) => s.id);
    if (keyword_matches.length === 0 && status_matches.length === 0) return [];
    return [{ filter: serializeFilterSummary(filter), keyword_matches, status_matches }];
  });
}

/**
 * The text filters match in a status (Mastodon's `searchable_text`): its content as the
 * search index reads it (`lib/html-text.ts`: a line break where a paragraph, a `<br>` or a
 * list item ends, as Mastodon's plain text of a remote status).
 */
export function statusText(status: MastodonStatus): string {
  return [
    status.spoiler_text,
    htmlToText(status.content),
    ...status.media_attachments.flatMap((m) => (m.description === null ? [] : [m.description])),
  ]
    .filter((part) => part !== "")
    .join("\n\n");
}

/** A status (a boost: the status it boosts) as filters see it. */
export function filterTarget(status: MastodonStatus): FilterTarget {
  const shown = status.reblog ?? status;
  return {
    text: statusText(shown),
    statuses: [status, ...(status.reblog === null ? [] : [status.reblog])],
  };
}

/**
 * Statuses as a timeline shows them: each with what matched it in `filtered` (a boost and
 * the status it boosts alike), and without those a `hide` filter matches.
 */
export function applyFilters(
  filters: StatusFilters,
  statuses: readonly MastodonStatus[],
): FilteredStatus[] {
  return statuses.flatMap((status) => {
    const filtered =
      filters.compiled.length === 0 ? [] : matchFilters(filters, filterTarget(status));
    if (filtered.some((r) => r.filter.filter_action === "hide")) return [];
    const reblog = status.reblog === null ? null : { ...status.reblog, reblog: null, filtered };
    return [{ ...status, reblog, filtered }];
  });
}
