/**
 * Plain text of a note's HTML, for what is not HTML: a link preview's description, a page's
 * title. The HTML is ours or sanitised on arrival (`activitypub/sanitize.ts`), so tags are
 * only dropped here, never trusted; the text comes out unescaped, for the templates to escape.
 */

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
};

/** A character reference as text; one it does not know stays as written. */
function decodeEntity(whole: string, body: string): string {
  if (body.startsWith("#")) {
    const code =
      body[1] === "x" || body[1] === "X"
        ? Number.parseInt(body.slice(2), 16)
        : Number.parseInt(body.slice(1), 10);
    return Number.isInteger(code) &&
      code > 0 &&
      code <= 0x10ffff &&
      (code < 0xd800 || code > 0xdfff)
      ? String.fromCodePoint(code)
      : whole;
  }
  return ENTITIES[body.toLowerCase()] ?? whole;
}

/** The text of HTML: paragraphs and line breaks become spaces, tags go, references are decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>|<\/p>|<\/li>|<\/blockquote>|<\/pre>/gi, " ")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#[0-9]+|#x[0-9a-f]+|[a-z]+);/gi, decodeEntity)
    .replace(/\s+/g, " ")
    .trim();
}

/** At most `max` characters (code points, so no emoji is cut in half), with `…` when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars
    .slice(0, max - 1)
    .join("")
    .trimEnd()}…`;
}

/** An http(s) URL to link to; anything else (`javascript:`, garbage) is no link at all. */
export function safeHref(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const url = URL.parse(value);
  return url !== null && (url.protocol === "https:" || url.protocol === "http:")
    ? url.href
    : undefined;
}
