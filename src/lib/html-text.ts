/**
 * The words of an HTML fragment, for a search index: the text between the tags, with a line
 * break where a block or a `<br>` ends one, and character references decoded. Tag names and
 * attributes (`href`, `class="invisible"`) are markup, not words, so none of them is kept.
 */

/** Where a line of text ends: a new paragraph, a line break, a list item, a quote. */
const BLOCK = /^\/?(p|br|li|ul|ol|blockquote|pre|div|h[1-6])\b/i;

/** The named references HTML text commonly holds; others become a space. */
const NAMED = new Map([
  ["amp", "&"],
  ["lt", "<"],
  ["gt", ">"],
  ["quot", '"'],
  ["apos", "'"],
  ["nbsp", " "],
]);

const REFERENCE = /&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});/gi;

function decodeReference(_match: string, body: string): string {
  if (body.startsWith("#")) {
    const hex = body[1] === "x" || body[1] === "X";
    const code = Number.parseInt(body.slice(hex ? 2 : 1), hex ? 16 : 10);
    // A surrogate or a number past Unicode names no character.
    const valid = code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
    return valid ? String.fromCodePoint(code) : " ";
  }
  return NAMED.get(body.toLowerCase()) ?? " ";
}

/**
 * The plain text of HTML. A tag runs from `<` to the next `>` (what a sanitised fragment
 * holds); one left open at the end is dropped. Only `indexOf` moving forward, so the scan is
 * linear whatever the input.
 */
export function htmlToText(html: string): string {
  const parts: string[] = [];
  let at = 0;
  while (at < html.length) {
    const lt = html.indexOf("<", at);
    if (lt === -1) {
      parts.push(html.slice(at));
      break;
    }
    parts.push(html.slice(at, lt));
    const gt = html.indexOf(">", lt + 1);
    if (gt === -1) break;
    if (BLOCK.test(html.slice(lt + 1, Math.min(gt, lt + 12)))) parts.push("\n");
    at = gt + 1;
  }
  return parts
    .join("")
    .replace(REFERENCE, decodeReference)
    .replace(/[ \t]*\n\s*/g, "\n")
    .trim();
}
