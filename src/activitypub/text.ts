/** Plain text written by the owner, turned into the small HTML subset the fediverse shows. */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Blank lines separate paragraphs; single newlines become `<br>`. Empty text stays empty. */
export function textToHtml(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`)
    .join("");
}

/**
 * A profile field value: an http(s) URL becomes a `rel="me"` link (Mastodon verifies those),
 * anything else is escaped text.
 */
export function fieldValueToHtml(value: string): string {
  const url = URL.parse(value);
  if (url === null || (url.protocol !== "https:" && url.protocol !== "http:")) {
    return escapeHtml(value);
  }
  const shown = `${url.host}${url.pathname === "/" ? "" : url.pathname}${url.search}`;
  return `<a href="${escapeHtml(url.href)}" rel="me nofollow noopener" target="_blank">${escapeHtml(shown)}</a>`;
}
