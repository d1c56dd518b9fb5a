/**
 * Conditional requests (RFC 9110 §13) decided here, not by the storage: R2 throws on an
 * entity tag it cannot parse (`If-Match: x` answered 500), and knows one tag, not a list.
 * A malformed entity tag matches nothing (so `If-Match: x` fails, `If-None-Match: x` does
 * not); an invalid date is ignored, as the RFC says.
 */

/** What the representation is, as the conditions compare it. */
export interface Validators {
  /** Quoted, as served: `"abc"`. */
  readonly etag: string;
  readonly lastModified: Date;
}

/** Serve it (`200`), or answer `304 Not Modified` or `412 Precondition Failed`. */
export type Precondition = 200 | 304 | 412;

/** The headers that make a request conditional. */
export const CONDITIONAL_HEADERS = [
  "if-match",
  "if-none-match",
  "if-modified-since",
  "if-unmodified-since",
] as const;

export const isConditional = (headers: Headers): boolean =>
  CONDITIONAL_HEADERS.some((name) => headers.has(name));

/** Entity tags in a header: `*`, or the well-formed `"x"` and `W/"x"` of a list (the rest ignored). */
function entityTags(value: string): "*" | { readonly weak: boolean; readonly tag: string }[] {
  if (value.trim() === "*") return "*";
  return Array.from(value.matchAll(/(W\/)?"([^"]*)"/g), (m) => ({
    weak: m[1] !== undefined,
    tag: m[2] ?? "",
  }));
}

const opaque = (etag: string) => etag.replace(/^W\//, "").replace(/^"|"$/g, "");

/**
 * The three forms of an HTTP date (RFC 9110 §5.6.7): IMF-fixdate, RFC 850 and asctime.
 * `Date.parse` alone would take `1` or `2024-01-01` for dates, which the RFC says to ignore.
 */
const HTTP_DATE = new RegExp(
  [
    /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
    /^(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/,
    /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/,
  ]
    .map((r) => r.source)
    .join("|"),
);

/** An HTTP date, whole seconds; undefined when it is not one. */
function httpDate(value: string | null): number | undefined {
  if (value === null || !HTTP_DATE.test(value)) return undefined;
  // asctime carries no zone: it is GMT.
  const time = Date.parse(/GMT$/.test(value) ? value : `${value} GMT`);
  return Number.isNaN(time) ? undefined : Math.floor(time / 1000);
}

/** The outcome of a GET or HEAD's conditions, evaluated in the RFC's order. */
export function evaluatePreconditions(headers: Headers, current: Validators): Precondition {
  const tag = opaque(current.etag);
  const modified = Math.floor(current.lastModified.getTime() / 1000);
  const ifMatch = headers.get("if-match");
  if (ifMatch !== null) {
    const tags = entityTags(ifMatch);
    // Strong comparison: a weak tag never matches.
    if (tags !== "*" && !tags.some((t) => !t.weak && t.tag === tag)) return 412;
  } else {
    const since = httpDate(headers.get("if-unmodified-since"));
    if (since !== undefined && modified > since) return 412;
  }
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch !== null) {
    const tags = entityTags(ifNoneMatch);
    // Weak comparison.
    if (tags === "*" || tags.some((t) => t.tag === tag)) return 304;
  } else {
    const since = httpDate(headers.get("if-modified-since"));
    if (since !== undefined && modified <= since) return 304;
  }
  return 200;
}
