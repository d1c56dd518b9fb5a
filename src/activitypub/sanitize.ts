/**
 * Remote HTML, made safe before it is stored or shown, with the Workers runtime's own
 * streaming parser (HTMLRewriter). The allowlist follows Mastodon's: a few inline and block
 * tags, links with safe schemes, classes only from the microformats and mention markup
 * servers use. Everything else is unwrapped (its text kept) or, for scripts and the like,
 * dropped with its content.
 */

const ALLOWED_TAGS = new Set([
  "p",
  "br",
  "span",
  "a",
  "del",
  "s",
  "pre",
  "blockquote",
  "code",
  "b",
  "strong",
  "u",
  "i",
  "em",
  "ul",
  "ol",
  "li",
  "ruby",
  "rt",
  "rp",
]);

/**
 * Dropped with everything inside them. This includes every element whose content the parser
 * reads as raw text (`xmp`, `plaintext`, `noembed`...): unwrapping one would turn the text
 * `<script>` inside it into a real tag for the next parser.
 */
const DROPPED_TAGS = new Set([
  "xmp",
  "plaintext",
  "noembed",
  "noframes",
  "listing",
  "script",
  "style",
  "template",
  "iframe",
  "object",
  "embed",
  "noscript",
  "svg",
  "math",
  "head",
  "title",
  "textarea",
  "select",
  "button",
  "form",
  "frameset",
  "frame",
]);

const ALLOWED_ATTRIBUTES: Record<string, ReadonlySet<string>> = {
  a: new Set(["href", "rel", "class", "translate"]),
  span: new Set(["class", "translate"]),
  ol: new Set(["start", "reversed"]),
  li: new Set(["value"]),
  p: new Set(["class"]),
};

const ALLOWED_CLASSES =
  /^(h-card|h-entry|p-name|p-author|u-url|u-uid|mention|hashtag|ellipsis|invisible|quote-inline|u-in-reply-to|p-in-reply-to|e-content|dt-published)$/;

const SAFE_SCHEMES = new Set([
  "http:",
  "https:",
  "dat:",
  "dweb:",
  "ipfs:",
  "ipns:",
  "ssb:",
  "gopher:",
  "xmpp:",
  "magnet:",
  "gemini:",
]);

class Sanitizer implements HTMLRewriterElementContentHandlers {
  element(element: Element): void {
    const tag = element.tagName.toLowerCase();
    if (DROPPED_TAGS.has(tag)) {
      element.remove();
      return;
    }
    if (!ALLOWED_TAGS.has(tag)) {
      element.removeAndKeepContent();
      return;
    }
    const allowed = ALLOWED_ATTRIBUTES[tag];
    for (const [name, value] of [...element.attributes] as [string, string][]) {
      const lower = name.toLowerCase();
      if (allowed === undefined || !allowed.has(lower)) {
        element.removeAttribute(name);
      } else if (lower === "class") {
        const kept = value.split(/\s+/).filter((c) => ALLOWED_CLASSES.test(c));
        if (kept.length === 0) element.removeAttribute(name);
        else element.setAttribute(name, kept.join(" "));
      } else if (lower === "href") {
        const url = URL.parse(value.trim());
        if (url === null || !SAFE_SCHEMES.has(url.protocol)) element.removeAttribute(name);
        else element.setAttribute(name, url.href);
      }
    }
    if (tag === "a") {
      element.setAttribute("rel", "nofollow noopener noreferrer");
      element.setAttribute("target", "_blank");
    }
  }

  comments(comment: Comment): void {
    comment.remove();
  }
}

/** Sanitises remote HTML. Plain text comes back escaped; markup outside the allowlist goes. */
export async function sanitizeHtml(html: string): Promise<string> {
  if (html === "") return "";
  const sanitizer = new Sanitizer();
  const response = new HTMLRewriter()
    .on("*", sanitizer)
    .onDocument({
      comments: (comment) => {
        comment.remove();
      },
      // Text passes through as raw bytes; once a tag or comment between them is removed, a
      // literal `<` could join the text after it into new markup (`<<x>script>`). A `<` or
      // `>` in a text token is always literal, so escaping them changes nothing else.
      text: (text) => {
        if (/[<>]/.test(text.text)) {
          text.replace(text.text.replace(/</g, "&lt;").replace(/>/g, "&gt;"), { html: true });
        }
      },
    })
    .transform(new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } }));
  return response.text();
}
