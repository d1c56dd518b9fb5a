import { describe, expect, it } from "vitest";
import { composeHtml, type ResolvedMention } from "./compose";
import { sourceText } from "./source";

const cid: ResolvedMention = {
  username: "cid",
  host: "pub-c.test",
  id: "https://pub-c.test/users/cid",
  url: "https://pub-c.test/@cid",
};
const other: ResolvedMention = {
  username: "Cid",
  host: "elsewhere.test:8443",
  id: "https://elsewhere.test:8443/u/cid",
  url: "https://elsewhere.test:8443/@cid",
};

/** What the owner wrote, from the HTML composed of it: the same text, tidied as composed. */
function roundTrip(text: string, mentions: readonly ResolvedMention[] = []) {
  const { html, mentions: used } = composeHtml(text, {
    mentions,
    tagUrl: (tag) => `https://outpost.test/tags/${tag}`,
  });
  const tags = used.map((m) => ({ name: `${m.username}@${m.host}`, href: m.id }));
  return sourceText(html, tags);
}

describe("sourceText", () => {
  it.each([
    "Hello, world",
    "one\ntwo\n\nthree",
    '<b>not bold</b> & "quoted" it\'s &amp; as written',
    "see https://example.test/a?b=1&c=2. And #Fediverse, #tag_2!",
    "unresolved @nobody@nowhere.test stays text",
    "@cid@pub-c.test hi, and @Cid@elsewhere.test:8443 too",
    "ünïcödé #Ça_va",
  ])("gives back %j", (text) => {
    expect(roundTrip(text, [cid, other])).toBe(text);
  });

  it("tidies what composing tidied: line endings, blank lines, edge spaces", () => {
    expect(roundTrip("  a\r\nb\n\n\n\nc  ")).toBe("a\nb\n\nc");
  });

  it("keeps the text of markup it did not make", () => {
    expect(sourceText("<p>a <em>b</em></p><p>c<br />d</p>", [])).toBe("a b\n\nc\nd");
  });
});
