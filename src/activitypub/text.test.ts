import { describe, expect, it } from "vitest";
import { escapeHtml, fieldValueToHtml, textToHtml } from "./text";

describe("text to HTML", () => {
  it("escapes markup", () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe(
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;",
    );
  });

  it("makes paragraphs and line breaks", () => {
    expect(textToHtml("one\ntwo\r\n\r\nthree\n\n\n")).toBe("<p>one<br>two</p><p>three</p>");
    expect(textToHtml("")).toBe("");
    expect(textToHtml("<b>")).toBe("<p>&lt;b&gt;</p>");
  });

  it("links profile field URLs with rel=me, escapes anything else", () => {
    expect(fieldValueToHtml("https://alice.example/about")).toBe(
      '<a href="https://alice.example/about" rel="me nofollow noopener" target="_blank">alice.example/about</a>',
    );
    expect(fieldValueToHtml("javascript:alert(1)")).toBe("javascript:alert(1)");
    expect(fieldValueToHtml('<img src=x onerror="y">')).toBe(
      "&lt;img src=x onerror=&quot;y&quot;&gt;",
    );
  });
});
