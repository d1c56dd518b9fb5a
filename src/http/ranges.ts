/**
 * Byte ranges (RFC 9110 §14): what part of a file a `Range` header asks for, so that a video
 * can be sought and a download resumed. One range is served as asked; several are ignored
 * (the whole file, 200): the RFC lets a server ignore `Range`, players ask for one, and a
 * `multipart/byteranges` answer is more code than any client of ours needs.
 */

/** What to send of a file of a known size. */
export type ByteRange =
  /** The whole file, 200: no `Range`, one that is malformed or invalid, or several. */
  | { readonly kind: "whole" }
  /** One part, 206: `length` bytes from `offset`. */
  | { readonly kind: "part"; readonly offset: number; readonly length: number }
  /** Nothing of it can be sent, 416: the range starts past the end, or is an empty suffix. */
  | { readonly kind: "unsatisfiable" };

const WHOLE: ByteRange = { kind: "whole" };
const UNSATISFIABLE: ByteRange = { kind: "unsatisfiable" };

/** `first-last`, `first-` or `-suffix`. */
const SPEC = /^(?:(\d+)-(\d*)|-(\d+))$/;

/** The part of a file of `size` bytes that a `Range` header value asks for. */
export function byteRange(header: string, size: number): ByteRange {
  const unit = /^bytes\s*=(.*)$/i.exec(header.trim());
  if (unit === null) return WHOLE;
  // Empty list elements are allowed and ignored (RFC 9110 §5.6.1).
  const specs = (unit[1] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const [spec] = specs;
  if (spec === undefined || specs.length > 1) return WHOLE;
  const m = SPEC.exec(spec);
  if (m === null) return WHOLE;
  const [, first, last, suffix] = m;
  if (suffix !== undefined) {
    const n = Number(suffix);
    if (n === 0 || size === 0) return UNSATISFIABLE;
    const offset = Math.max(0, size - n);
    return { kind: "part", offset, length: size - offset };
  }
  const from = Number(first);
  const to = last === "" || last === undefined ? Number.POSITIVE_INFINITY : Number(last);
  // A range that ends before it starts is invalid, and an invalid Range is ignored.
  if (to < from) return WHOLE;
  if (from >= size) return UNSATISFIABLE;
  return { kind: "part", offset: from, length: Math.min(to, size - 1) - from + 1 };
}

/** What `If-Range` is compared with: the validators served with the file. */
export interface RangeValidators {
  /** Strong, quoted: `"abc"`. */
  readonly etag: string;
  readonly lastModified: Date;
}

/**
 * Whether a `Range` still applies (RFC 9110 §13.1.5): with no `If-Range`, or one naming the
 * file as it is (the same strong tag, or the exact `Last-Modified` date sent). Otherwise the
 * client's part is of a file since changed, and the whole file is sent.
 */
export function rangeStillApplies(ifRange: string | null, current: RangeValidators): boolean {
  if (ifRange === null) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith("W/")) return value === current.etag;
  // Only the IMF-fixdate form, which is what `Last-Modified` carries.
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value)) {
    return false;
  }
  return Date.parse(value) === Math.floor(current.lastModified.getTime() / 1000) * 1000;
}

/** `Content-Range` of a part sent: `bytes 0-99/1000`. */
export const contentRange = (offset: number, length: number, size: number) =>
  `bytes ${offset}-${offset + length - 1}/${size}`;
