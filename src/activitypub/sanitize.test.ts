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
