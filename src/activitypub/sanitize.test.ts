import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sanitizeHtml } from "./sanitize";

/** Markup that must never survive: each would run script or load something in a browser. */
const XSS: string[] = [
  `<script>alert(1)</script>`,
  `<SCRIPT SRC=https://evil.test/xss.js></SCRIPT>`,
  `<img src=x onerror=alert(1)>`,
  `<img src="javascript:alert(1)">`,
  `<svg onload=alert(1)><script>alert(1)</script></svg>`,
  `<math><mtext><script>alert(1)</script></mtext></math>`,
  `<iframe src="https://evil.test"></iframe>`,
  `<object data="https://evil.test/x.swf"></object>`,
  `<embed src="https://evil.test/x.swf">`,
  `<a href="javascript:alert(1)">x</a>`,
  `<a href=" JaVaScRiPt:alert(1)">x</a>`,
  `<a href="java&#x09;script:alert(1)">x</a>`,
  `<a href="java\tscript:alert(1)">x</a>`,
  `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
  `<a href="vbscript:msgbox(1)">x</a>`,
  `<p onclick="alert(1)" onmouseover="alert(1)">x</p>`,
  `<p style="background:url(javascript:alert(1))">x</p>`,
  `<style>p{background:url(javascript:alert(1))}</style>`,
  `<link rel=stylesheet href="https://evil.test/x.css">`,
  `<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
  `<base href="https://evil.test/">`,
  `<form action="https://evil.test"><input name=x><button>go</button></form>`,
  `<xmp><script>alert(1)</script></xmp>`,
  `<noembed><script>alert(1)</script></noembed>`,
  `<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>`,
  `<plaintext><script>alert(1)</script>`,
  `<textarea><script>alert(1)</script></textarea>`,
  `<title><script>alert(1)</script></title>`,
  `<!--<script>alert(1)</script>-->`,
  `<details open ontoggle=alert(1)>`,
  `<video><source onerror=alert(1)></video>`,
  `<body onload=alert(1)>`,
  `<a href="https://ok.test" onclick="alert(1)" style="x">ok</a>`,
  `<span class="mention" data-x="1" onfocus="alert(1)" tabindex=1 autofocus>x</span>`,
  // Removing a tag or comment must not join a literal "<" to the text after it.
  `<<x>script>alert(1)<</x>/script>`,
  `<<x>img src=x onerror=alert(1)>`,
  `<<!-- -->img src=x onerror=alert(1)>`,
  `<<div></div>svg onload=alert(1)>`,
];

const SAFE_TAGS = new Set([
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

/** What a browser would build from the HTML: every element and its attributes, as parsed. */
async function parsed(html: string) {
  const found: { tag: string; attributes: [string, string][] }[] = [];
  await new HTMLRewriter()
    .on("*", {
      element(element) {
        found.push({
          tag: element.tagName,
          attributes: [...element.attributes] as [string, string][],
        });
      },
    })
    .transform(new Response(html, { headers: { "content-type": "text/html" } }))
    .text();
  return found;
}

/**
 * Checks an output as a tokenizer reads it: every `<` starts an allowed tag or an end tag (text
 * and attribute values have theirs escaped), and each end tag closes the last tag still open.
 * Returns how deep the tags nest.
 */
function depthOf(output: string): number {
  const shown = output.slice(0, 300);
  const tags = [...output.matchAll(/<(\/?)([a-z]+)(?=[ >])[^<>]*>/g)];
  expect(tags.length, shown).toBe(output.split("<").length - 1);
  const open: string[] = [];
  let deepest = 0;
  for (const [, end, name = ""] of tags) {
    expect(SAFE_TAGS.has(name), `<${name}> in ${shown}`).toBe(true);
    if (end === "/") expect(open.pop(), shown).toBe(name);
    else if (name !== "br") open.push(name);
    deepest = Math.max(deepest, open.length);
  }
  expect(open.length, shown).toBe(0);
  return deepest;
}

/** Tags of every kind: allowed, dropped with their content, unwrapped, a doctype. */
const TAGS = [
  "p",
  "br",
  "a",
  "b",
  "span",
  "ol",
  "li",
  "pre",
  "rt",
  "script",
  "style",
  "template",
  "select",
  "svg",
  "math",
  "textarea",
  "title",
  "plaintext",
  "xmp",
  "noscript",
  "iframe",
  "div",
  "img",
  "table",
  "body",
  "!doctype html",
];

/** Pieces the property test joins into HTML-ish input. */
const PIECE = fc.oneof(
  fc.constantFrom("<", ">", "</", "<!", "<?", "-->", "<!--", "<![CDATA[", "]]>", "/>", "="),
  fc.constantFrom('"', "'", " ", "\n", "&amp;", "&lt;", "&#x3c;", "&", "x", "é"),
  fc.constantFrom(...TAGS).map((tag) => `<${tag}`),
  fc.constantFrom(...TAGS).map((tag) => `</${tag}>`),
  fc.constantFrom(
    ' href="https://a.test/x"',
    " href=javascript:alert(1)",
    ' class="mention evil"',
    " class='h-card'",
    " onclick=alert(1)",
    ' start="3"',
    ' title="a<b>"',
  ),
  fc.string({ maxLength: 4 }),
);

describe("sanitizeHtml", () => {
  it.each(XSS)("neutralises %s", async (input) => {
    const output = await sanitizeHtml(input);
    // Parsed again, as a browser would: only safe elements, no handlers, no script URLs.
    for (const { tag, attributes } of await parsed(output)) {
      expect(SAFE_TAGS.has(tag), `<${tag}> in ${output}`).toBe(true);
      for (const [name, value] of attributes) {
        expect(name, output).not.toMatch(/^on|^style$|^src$/i);
        if (name === "href") expect(value, output).toMatch(/^https?:/);
      }
    }
    expect(output).not.toMatch(/<script|javascript:|vbscript:|data:/i);
    // The result is stable: sanitising it again changes nothing.
    expect(await sanitizeHtml(output)).toBe(output);
  });

  it("keeps what Mastodon keeps: paragraphs, breaks, links, mention and hashtag markup", async () => {
    const html =
      '<p>Hi <span class="h-card"><a href="https://remote.test/@alice" class="u-url mention">@<span>alice</span></a></span>, see <a href="https://remote.test/tags/art" class="mention hashtag" rel="tag">#<span>art</span></a><br>line two</p><p><strong>bold</strong> <em>it</em> <code>x</code></p><blockquote>q</blockquote><ul><li>a</li></ul>';
    const output = await sanitizeHtml(html);
    expect(output).toContain('<span class="h-card">');
    expect(output).toContain(
      '<a href="https://remote.test/@alice" class="u-url mention" rel="nofollow noopener noreferrer" target="_blank">',
    );
    expect(output).toContain('class="mention hashtag"');
    expect(output).toContain(
      "<br>line two</p><p><strong>bold</strong> <em>it</em> <code>x</code></p>",
    );
    expect(output).toContain("<blockquote>q</blockquote><ul><li>a</li></ul>");
  });

  it("unwraps unknown tags, keeping their text, and drops unknown classes", async () => {
    expect(
      await sanitizeHtml(
        '<div class="x"><h1>Title</h1><span class="evil invisible">a</span></div>',
      ),
    ).toBe('Title<span class="invisible">a</span>');
  });

  it("leaves text and entities as text", async () => {
    expect(await sanitizeHtml("1 &lt; 2 &amp;&amp; <b>3</b> &gt; 2")).toBe(
      "1 &lt; 2 &amp;&amp; <b>3</b> &gt; 2",
    );
    expect(await sanitizeHtml("")).toBe("");
  });
});

describe("sanitizeHtml on what a security review found", () => {
  // HTMLRewriter throws "TypeError: Parser error: The parser has encountered a text content tag
  // (`<style>`) in the context where it is ambiguous whether this tag should be ignored or not."
  it.each([
    "<select><style>x</style></select>",
    "<select><template><style>x</style></template></select>",
  ])("reads %s, which the parser refuses, as plain text", async (input) => {
    expect(await sanitizeHtml(input)).toBe("<p>x</p>");
  });

  // HTMLRewriter throws "TypeError: Parser error: The memory limit has been exceeded." past
  // 10,000 to 20,000 open elements.
  it.each(["b", "div"])("reads 50,000 nested <%s> as plain text", async (tag) => {
    expect(await sanitizeHtml(`${`<${tag}>`.repeat(50_000)}x`)).toBe("<p>x</p>");
  });

  it("drops a doctype, with the markup quoted in it", async () => {
    expect(await sanitizeHtml('<!doctype a "<img src=x onerror=alert(1)>"><p>x</p>')).toBe(
      '"&gt;<p>x</p>',
    );
  });

  it("drops end tags that close nothing", async () => {
    expect(await sanitizeHtml("</script></body></p>x</b><b>y</b></i>")).toBe("x<b>y</b>");
  });

  it("drops processing instructions and CDATA, closing what they swallow", async () => {
    expect(await sanitizeHtml('<?xml version="1.0"?><p>a<?x</p>')).toBe("<p>a</p>");
    expect(await sanitizeHtml("<![CDATA[<img src=x onerror=alert(1)>]]>")).toBe("]]&gt;");
  });

  it("drops a tag left unfinished at the end, which the page around it would finish", async () => {
    expect(await sanitizeHtml("<p>x</p><img src=x onerror=alert(1)//")).toBe("<p>x</p>");
  });

  it("unwraps elements nested deeper than 100, keeping their text", async () => {
    const output = await sanitizeHtml("<b>x".repeat(5_000));
    expect(depthOf(output)).toBe(100);
    expect(output.replace(/<[^>]*>/g, "")).toBe("x".repeat(5_000));
  });

  it("reads about 1 MB of hostile markup without throwing", { timeout: 60_000 }, async () => {
    const inputs = [
      "<b>".repeat(200_000),
      "<b>x".repeat(250_000),
      "<b>x</b>".repeat(125_000),
      '<a href="https://x.test/">x'.repeat(40_000),
      "<".repeat(1_000_000),
      "<a".repeat(500_000),
      `<select><style>${"<a ".repeat(300_000)}`,
    ];
    for (const input of inputs) {
      const output = await sanitizeHtml(input);
      expect(depthOf(output)).toBeLessThanOrEqual(100);
      // `&lt;` for `<` is the most any of these grows.
      expect(output.length).toBeLessThanOrEqual(4 * input.length);
    }
  });

  it("keeps its guarantees on generated HTML-ish input", async () => {
    const input = fc.array(PIECE, { maxLength: 40 }).map((pieces) => pieces.join(""));
    await fc.assert(
      fc.asyncProperty(input, async (html) => {
        const output = await sanitizeHtml(html);
        expect(output).not.toMatch(/<!|<\?|<script/i);
        depthOf(output);
        expect(await sanitizeHtml(output)).toBe(output);
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
