/**
 * Remote HTML, made safe before it is stored or shown. The Workers runtime's streaming parser
 * (HTMLRewriter) only reads the input; the output is written here, from its events, so it
 * holds nothing but allowed start tags with allowed attributes, their end tags and escaped
 * text: no doctype, comment, processing instruction or stray end tag can pass through. The
 * allowlist follows Mastodon's: a few inline and block tags, links with safe schemes, classes
 * only from the microformats and mention markup servers use. Everything else is unwrapped
 * (its text kept) or, for scripts and the like, dropped with its content.
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

/** A link's `rel` and `target` are always ours (see `startTag`), never the sender's. */
const ALLOWED_ATTRIBUTES: Record<string, ReadonlySet<string>> = {
  a: new Set(["href", "class", "translate"]),
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

/**
 * How deep allowed elements may nest: deeper ones are unwrapped (their text kept), so no
 * output holds thousands of nested tags. The parser itself gives up (and the input is read as
 * plain text) somewhere between 10,000 and 20,000 open elements.
 */
const MAX_DEPTH = 100;

/**
 * Parser events (elements, end tags, text chunks) one input may cost. Each is a call from the
 * runtime into JavaScript, several microseconds apiece: this keeps hostile markup well under a
 * second of CPU, and still reads some 5,000 tags, more than a few hundred kB of ordinary prose
 * holds. Beyond it the input is read as plain text.
 */
const MAX_EVENTS = 20_000;

/** Only these elements cost a call; any other is unwrapped without one. */
const SELECTOR = [...ALLOWED_TAGS, ...DROPPED_TAGS].join(", ");

/** Void elements of the lists above: they have no end tag, and asking for one throws. */
const VOID_TAGS = new Set(["br", "embed", "frame"]);

/** An element written out or dropped, not yet closed. */
interface Open {
  readonly tag: string;
  readonly drop: boolean;
  /** Its index in the stack, so closing it needs no search. */
  readonly depth: number;
}

/**
 * Writes the output from the parser's events. The parser hands every text chunk to `text`,
 * those inside removed elements too, so what is dropped is decided here, from a stack of open
 * elements closed by their end tags' handlers. The parser calls no handler for a stray end tag,
 * and none for an element still open at the end: `finish` closes those.
 */
class Writer {
  readonly #out: string[] = [];
  readonly #open: Open[] = [];
  #kept = 0;
  #dropping = 0;
  #events = 0;

  /** Once true, the input stops (see `rewrite`) and what was written is thrown away. */
  get spent(): boolean {
    return this.#events > MAX_EVENTS;
  }

  element(element: Element): void {
    // Inside a dropped element nothing is written, and its own end tag closes everything.
    if (!this.#count() || this.#dropping > 0) return;
    const tag = element.tagName.toLowerCase();
    const drop = DROPPED_TAGS.has(tag);
    if (!drop && this.#kept >= MAX_DEPTH) return;
    if (!drop) this.#out.push(startTag(tag, element));
    if (VOID_TAGS.has(tag)) return;
    const open: Open = { tag, drop, depth: this.#open.length };
    try {
      element.onEndTag(() => this.#close(open));
    } catch {
      // Self-closing foreign elements (`<svg/>`) have no end tag either.
      if (!drop) this.#out.push(`</${tag}>`);
      return;
    }
    this.#open.push(open);
    if (drop) this.#dropping++;
    else this.#kept++;
  }

  /** Text comes raw (entities as written): `<` and `>` are escaped, so it is only ever text. */
  text(chunk: Text): void {
    if (this.#count() && this.#dropping === 0 && chunk.text !== "") {
      this.#out.push(escapeText(chunk.text));
    }
  }

  finish(): string {
    while (this.#open.length > 0) this.#pop();
    return this.#out.join("");
  }

  /**
   * False once the budget is spent. Not an exception: one thrown in a handler is reported by
   * the runtime as uncaught, though the stream's reader catches it.
   */
  #count(): boolean {
    this.#events++;
    return !this.spent;
  }

  /** An end tag closes its element and any still open inside it (`<b><i>x</b>`). */
  #close(open: Open): void {
    if (!this.#count() || this.#open[open.depth] !== open) return;
    while (this.#open.length > open.depth) this.#pop();
  }

  #pop(): void {
    const open = this.#open.pop();
    if (open === undefined) return;
    if (open.drop) {
      this.#dropping--;
    } else {
      this.#out.push(`</${open.tag}>`);
      this.#kept--;
    }
  }
}

/** An allowed element's start tag, with the first of each allowed attribute, checked. */
function startTag(tag: string, element: Element): string {
  const allowed = ALLOWED_ATTRIBUTES[tag];
  const seen = new Set<string>();
  let html = `<${tag}`;
  const attributes = allowed === undefined ? [] : element.attributes;
  for (const [name, value] of attributes as Iterable<[string, string]>) {
    const lower = name.toLowerCase();
    if (!allowed?.has(lower) || seen.has(lower)) continue;
    // A browser reads the first of two same-named attributes; a later one never counts.
    seen.add(lower);
    const kept = attributeValue(lower, value);
    if (kept !== null) html += ` ${lower}="${escapeAttribute(kept)}"`;
  }
  if (tag === "a") html += ' rel="nofollow noopener noreferrer" target="_blank"';
  return `${html}>`;
}

/** Classes from the allowlist only, links with a safe scheme only; null drops the attribute. */
function attributeValue(name: string, value: string): string | null {
  if (name === "class") {
    const kept = value.split(/\s+/).filter((c) => ALLOWED_CLASSES.test(c));
    return kept.length === 0 ? null : kept.join(" ");
  }
  if (name === "href") {
    const url = URL.parse(value.trim());
    return url === null || !SAFE_SCHEMES.has(url.protocol) ? null : url.href;
  }
  return value;
}

/** Text is written as it came, entities and all; only `<` and `>` could make it markup. */
function escapeText(text: string): string {
  return text.replace(/[<>]/g, (c) => (c === "<" ? "&lt;" : "&gt;"));
}

/**
 * Values come raw, entities as written, so `&` stays; a quote would end the value early, and
 * `<`/`>` are escaped so that every `<` in the output starts a tag we wrote.
 */
function escapeAttribute(value: string): string {
  return value.replace(/["<>]/g, (c) => (c === '"' ? "&quot;" : c === "<" ? "&lt;" : "&gt;"));
}

/** What may follow a `<` that starts a tag, an end tag, a comment or a declaration. */
const MARKUP_START = /[A-Za-z/!?]/;

/**
 * The input's text with all markup taken out, for input the parser refuses (`<select><style>`
 * is ambiguous to it; thousands of nested elements exceed its memory limit). A tag runs from
 * `<` and a letter, `/`, `!` or `?` to the next `>`, a comment to the next `-->`, and one left
 * unfinished at the end goes, much as a browser's tokenizer reads them. Only `indexOf` moving
 * forward, so the scan is linear whatever the input.
 */
function plainText(html: string): string {
  const text: string[] = [];
  let at = 0;
  while (at < html.length) {
    const lt = html.indexOf("<", at);
    if (lt === -1) {
      text.push(escapeText(html.slice(at)));
      break;
    }
    text.push(escapeText(html.slice(at, lt)));
    if (!MARKUP_START.test(html.charAt(lt + 1))) {
      text.push("&lt;");
      at = lt + 1;
      continue;
    }
    const comment = html.startsWith("<!--", lt);
    const end = comment ? html.indexOf("-->", lt + 4) : html.indexOf(">", lt + 1);
    if (end === -1) break;
    at = end + (comment ? 3 : 1);
  }
  const joined = text.join("");
  return joined.trim() === "" ? "" : `<p>${joined}</p>`;
}

/**
 * A `<` that cannot start markup (see `MARKUP_START`) is text to a browser; written `&lt;` it
 * reads the same, and no longer costs the parser one text event per `<`.
 */
const LONE_LT = /<(?![A-Za-z/!?])/g;

/** The parser reads the input in pieces of this many bytes, so a spent budget stops it soon. */
const PIECE_BYTES = 8_192;

/** The sanitised HTML, or null when the input has more markup than `MAX_EVENTS` allows. */
async function rewrite(html: string): Promise<string | null> {
  const writer = new Writer();
  const bytes = new TextEncoder().encode(html.replace(LONE_LT, "&lt;"));
  let at = 0;
  const input = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (writer.spent || at >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.subarray(at, at + PIECE_BYTES));
      at += PIECE_BYTES;
    },
  });
  const response = new HTMLRewriter()
    .on(SELECTOR, { element: (element) => writer.element(element) })
    .onDocument({ text: (chunk) => writer.text(chunk) })
    .transform(new Response(input, { headers: { "content-type": "text/html; charset=utf-8" } }));
  // The rewritten stream is only the parser's echo: it is read to drive the parser, then dropped.
  await response.arrayBuffer();
  return writer.spent ? null : writer.finish();
}

/**
 * Sanitises remote HTML. Never throws: input the parser gives up on, or with more markup than
 * `MAX_EVENTS` allows, comes back as its plain text, escaped, in a paragraph. The output is
 * stable (sanitising it again changes nothing) and at most a small multiple of the input.
 */
export async function sanitizeHtml(html: string): Promise<string> {
  if (html === "") return "";
  // Lone surrogates become U+FFFD in the parser's UTF-8; the plain-text path does the same.
  const input = html.toWellFormed();
  try {
    const output = await rewrite(input);
    if (output !== null) return output;
  } catch {
    // The parser refused the input: read as plain text below.
  }
  return plainText(input);
}
