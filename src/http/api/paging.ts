/**
 * Mastodon's paging for the owner's lists: `max_id`, `since_id`, `min_id` and `limit` in
 * (an empty parameter counts as absent, as Mastodon's `present?` has it), and a `Link` header
 * out: `next` goes older with `max_id`, `prev` newer with `min_id`. A cursor is any Mastodon
 * id (`mastodon/ids.ts`), of any kind: ids are times, so any id is a position in any list.
 */
import * as v from "valibot";
import { firstIssue } from "../../lib/issues";
import { parseMastodonId } from "../../mastodon/ids";
import type { ApiPageRequest, PageRequest } from "../../storage/pages";

export interface Limits {
  /** When `limit` is not given. */
  readonly fallback: number;
  /** A larger `limit` is lowered to this. */
  readonly max: number;
}

export interface Paging {
  readonly request: ApiPageRequest;
  /** What the `Link` URLs repeat: the limit, when it was given. */
  readonly kept: readonly (readonly [string, string])[];
}

const cursor = (noun: string) =>
  v.optional(
    v.pipe(
      v.string(),
      v.rawTransform(({ dataset, addIssue, NEVER }) => {
        const id = parseMastodonId(dataset.value);
        if (id !== undefined) return id;
        addIssue({ message: `must be a ${noun} id` });
        return NEVER;
      }),
    ),
  );

/** The paging parameters of `query`; an error message when one is malformed. */
export function parsePaging(query: Record<string, string>, limits: Limits, noun: string) {
  const given = Object.fromEntries(
    ["max_id", "since_id", "min_id", "limit"].flatMap((k) =>
      query[k] === undefined || query[k] === "" ? [] : [[k, query[k]]],
    ),
  );
  const schema = v.object({
    max_id: cursor(noun),
    since_id: cursor(noun),
    min_id: cursor(noun),
    limit: v.optional(
      v.pipe(
        v.string(),
        v.regex(/^\d{1,6}$/, "must be a positive integer"),
        v.transform((n) => Number(n)),
        v.minValue(1, "must be a positive integer"),
        v.transform((n) => Math.min(n, limits.max)),
      ),
    ),
  });
  const parsed = v.safeParse(schema, given);
  if (!parsed.success) {
    const { path, message } = firstIssue(parsed.issues);
    return `${path.join(".") || "parameter"} ${message}`;
  }
  const { max_id, since_id, min_id, limit } = parsed.output;
  const paging: Paging = {
    request: { maxId: max_id, sinceId: since_id, minId: min_id, limit: limit ?? limits.fallback },
    kept: limit === undefined ? [] : [["limit", String(limit)]],
  };
  return paging;
}

export interface LinkInput {
  /** The list's URL, without a query. */
  readonly url: string;
  readonly kept: Paging["kept"];
  /** The ids of the page's first and last items; none for an empty page. */
  readonly newest: string | undefined;
  readonly oldest: string | undefined;
  /** False when the page is known to be the oldest: no `next` then. */
  readonly hasOlder?: boolean;
}

/** The `Link` header of a page; none for an empty page. */
export function linkHeader(input: LinkInput): Record<string, string> {
  const { url, kept, newest, oldest, hasOlder = true } = input;
  if (newest === undefined || oldest === undefined) return {};
  const link = (rel: "next" | "prev", cursor: "max_id" | "min_id", id: string) =>
    `<${url}?${new URLSearchParams([...kept, [cursor, id]])}>; rel="${rel}"`;
  const links = [
    ...(hasOlder ? [link("next", "max_id", oldest)] : []),
    link("prev", "min_id", newest),
  ];
  return { Link: links.join(", ") };
}

/**
 * The same cursors for a list paged by storage's `seq` (follows and follow requests, which
 * Mastodon pages by its follow's own id rather than a time): a cursor beyond any `seq` is
 * the end of the list.
 */
export function bySeq(request: ApiPageRequest): PageRequest {
  const seq = (id: bigint | undefined) =>
    id === undefined ? undefined : Number(id > MAX_SEQ ? MAX_SEQ : id);
  return {
    maxId: seq(request.maxId),
    sinceId: seq(request.sinceId),
    minId: seq(request.minId),
    limit: request.limit,
  };
}

const MAX_SEQ = BigInt(Number.MAX_SAFE_INTEGER);
