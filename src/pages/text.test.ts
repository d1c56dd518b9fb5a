import { describe, expect, it } from "vitest";
import { htmlToText, safeHref, truncate } from "./text";

describe("htmlToText", () => {
  it("drops tags, keeps words apart across paragraphs and breaks, decodes references", () => {
    expect(htmlToText("<p>One &amp; two<br>three</p><p>&lt;b&gt; &#39;x&#39; &#x1F600;</p>")).toBe(
      "One & two three <b> 'x' 😀",
    );
  });

  it("leaves unknown or invalid references as written", () => {
    expect(htmlToText("&bogus; &#0; &#xD800;")).toBe("&bogus; &#0; &#xD800;");
  });
});

describe("truncate", () => {
  it("cuts by code point and marks the cut", () => {
    expect(truncate("short", 10)).toBe("short");
    expect(truncate("😀😀😀😀", 3)).toBe("😀😀…");
    expect(truncate("a word cut", 8)).toBe("a word…");
  });
});

describe("safeHref", () => {
  it("links only to http(s)", () => {
    expect(safeHref("https://a.example/x")).toBe("https://a.example/x");
    expect(safeHref("javascript:alert(1)")).toBeUndefined();
    expect(safeHref("not a url")).toBeUndefined();
    expect(safeHref(null)).toBeUndefined();
  });
});
