import { describe, expect, it } from "vitest";
import { htmlToText } from "./html-text";

describe("htmlToText", () => {
  it("keeps the words between tags and none of the markup", () => {
    const html =
      '<p>Hi <span class="h-card"><a href="https://x.test/@a" class="u-url mention">@<span>alice</span></a></span> see <a href="https://example.com/page" rel="nofollow"><span class="invisible">https://</span><span class="ellipsis">example.com/pa</span><span class="invisible">ge</span></a></p>';
    expect(htmlToText(html)).toBe("Hi @alice see https://example.com/page");
  });

  it("ends a line at blocks and breaks, so that words do not run together", () => {
    expect(htmlToText("<p>one</p><p>two<br>three</p><ul><li>four</li><li>five</li></ul>")).toBe(
      "one\ntwo\nthree\nfour\nfive",
    );
  });

  it("decodes character references, and drops what names no character", () => {
    expect(htmlToText("<p>caf&#233; &amp; cr&#xE8;me &lt;b&gt; &quot;x&quot;&nbsp;y</p>")).toBe(
      'café & crème <b> "x" y',
    );
    expect(htmlToText("a&#0;b &#xD800;c &#x110000;d &hellip;e")).toBe("a b  c  d  e");
  });

  it("drops a tag left open at the end, and is linear on hostile input", () => {
    expect(htmlToText("words <a href='x")).toBe("words");
    const start = performance.now();
    htmlToText("<".repeat(200_000));
    htmlToText("<a ".repeat(100_000));
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
