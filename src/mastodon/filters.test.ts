import { describe, expect, it } from "vitest";
import type { ActiveFilter } from "../storage/filters";
import type { FilterRow } from "../storage/schema-lists";
import {
  applyFilters,
  compileFilters,
  matchFilters,
  serializeV1Filters,
  statusText,
} from "./filters";
import type { MastodonStatus } from "./serialize";

const NOW = new Date("2026-06-01T00:00:00Z");

let seq = 0;
function filter(
  keywords: [string, boolean][],
  options: Partial<FilterRow> & { notes?: string[] } = {},
): ActiveFilter {
  const { notes = [], ...row } = options;
  seq += 1;
  return {
    filter: {
      seq,
      title: `filter ${seq}`,
      context: ["home"],
      action: "warn",
      expiresAt: null,
      createdAt: NOW,
      ...row,
    },
    keywords: keywords.map(([keyword, wholeWord]) => ({ keyword, wholeWord })),
    notes,
  };
}

const matches = (active: ActiveFilter[], text: string) =>
  matchFilters(compileFilters(active, "home", NOW), { text, statuses: [] }).map((r) => ({
    title: r.filter.title,
    found: r.keyword_matches,
  }));

/** A status with only what filters read filled in. */
function status(id: string, content: string, extra: Partial<MastodonStatus> = {}): MastodonStatus {
  return {
    id,
    uri: `https://remote.test/notes/${id}`,
    content,
    spoiler_text: "",
    media_attachments: [],
    reblog: null,
    ...extra,
  } as MastodonStatus;
}

describe("keyword matching", () => {
  it("matches a whole word only at word boundaries, case-insensitively", () => {
    const cats = filter([["cat", true]]);
    expect(matches([cats], "A CAT sat")).toEqual([{ title: cats.filter.title, found: ["CAT"] }]);
    expect(matches([cats], "concatenate")).toEqual([]);
    expect(matches([cats], "cats")).toEqual([]);
    expect(matches([cats], "cat_food")).toEqual([]);
    expect(matches([cats], "(cat)")).toHaveLength(1);
  });

  it("matches a keyword that is not whole-word anywhere", () => {
    const cats = filter([["cat", false]]);
    expect(matches([cats], "Concatenate")).toEqual([{ title: cats.filter.title, found: ["cat"] }]);
  });

  it("reads letters beyond ASCII as word characters, as Mastodon's [[:word:]]", () => {
    const cafe = filter([["café", true]]);
    expect(matches([cafe], "Un CAFÉ noir")).toHaveLength(1);
    expect(matches([cafe], "cafés")).toEqual([]);
    const ueber = filter([["über", true]]);
    expect(matches([ueber], "Überall")).toEqual([]);
    expect(matches([ueber], "so ÜBER")).toHaveLength(1);
  });

  it("puts no boundary at an edge that is not a word character", () => {
    const tag = filter([["#news", true]]);
    expect(matches([tag], "read#news today")).toHaveLength(1);
    expect(matches([tag], "#newsletter")).toEqual([]);
    const cpp = filter([["c++", true]]);
    expect(matches([cpp], "I write C++.")).toHaveLength(1);
    expect(matches([cpp], "abc++")).toEqual([]);
  });

  it("treats every keyword as text, not as an expression", () => {
    const dots = filter([
      ["a.b", false],
      ["(x|y)", false],
    ]);
    expect(matches([dots], "axb")).toEqual([]);
    expect(matches([dots], "say (x|y)")).toHaveLength(1);
  });

  it("gives one result per filter, with the first match of its keywords", () => {
    const two = filter([
      ["dog", true],
      ["cat", true],
    ]);
    expect(matches([two], "cat and dog")).toEqual([{ title: two.filter.title, found: ["cat"] }]);
  });

  it("ignores expired filters, filters of other contexts and filters with no keyword", () => {
    const expired = filter([["cat", true]], { expiresAt: new Date(NOW.getTime() - 1) });
    const later = filter([["cat", true]], { expiresAt: new Date(NOW.getTime() + 1000) });
    const elsewhere = filter([["cat", true]], { context: ["notifications", "public"] });
    const empty = filter([]);
    expect(matches([expired, later, elsewhere, empty], "cat").map((m) => m.title)).toEqual([
      later.filter.title,
    ]);
  });
});

describe("status matching", () => {
  it("matches a status a filter names, and a boost of it, by its note", () => {
    const original = status("20", "<p>hello</p>");
    const named = filter([], { notes: [original.uri] });
    const boost = status("21", "", { reblog: original, uri: "https://remote.test/boosts/1" });
    const target = { text: "", statuses: [boost, original] };
    const [result] = matchFilters(compileFilters([named], "home", NOW), target);
    expect(result?.status_matches).toEqual(["20"]);
    expect(result?.keyword_matches).toEqual([]);
  });
});

describe("applyFilters", () => {
  it("drops what a hide filter matches and marks what a warn filter matches", () => {
    const hide = filter([["spoiler", true]], { action: "hide" });
    const warn = filter([["kitten", true]], { action: "warn", title: "Kittens" });
    const shown = applyFilters(compileFilters([hide, warn], "home", NOW), [
      status("1", "<p>big spoiler here</p>"),
      status("2", "<p>a kitten!</p>"),
      status("3", "<p>nothing</p>"),
    ]);
    expect(shown.map((s) => s.id)).toEqual(["2", "3"]);
    expect(shown[0]?.filtered).toEqual([
      {
        filter: {
          id: String(warn.filter.seq),
          title: "Kittens",
          context: ["home"],
          expires_at: null,
          filter_action: "warn",
        },
        keyword_matches: ["kitten"],
        status_matches: [],
      },
    ]);
    expect(shown[1]?.filtered).toEqual([]);
  });

  it("reads a boost's original, and marks the boost and the original alike", () => {
    const warn = filter([["kitten", true]]);
    const original = status("10", "<p>kitten</p>");
    const [boost] = applyFilters(compileFilters([warn], "home", NOW), [
      status("11", "", { reblog: original }),
    ]);
    expect(boost?.filtered).toHaveLength(1);
    expect(boost?.reblog?.filtered).toEqual(boost?.filtered);
  });

  it("matches the content warning and media descriptions too", () => {
    const warn = filter([["secret", true]]);
    const compiled = compileFilters([warn], "home", NOW);
    const cw = status("1", "<p>x</p>", { spoiler_text: "Secret stuff" });
    const media = status("2", "<p>x</p>", {
      media_attachments: [{ description: "a secret map" }] as MastodonStatus["media_attachments"],
    });
    expect(applyFilters(compiled, [cw, media]).map((s) => s.filtered.length)).toEqual([1, 1]);
  });
});

describe("statusText", () => {
  it("reads sanitised HTML as its text: tags out, entities decoded, breaks as new lines", () => {
    const text = (html: string) => statusText(status("1", html));
    expect(text('<p>a &amp; b&lt;c&gt;</p><p>d<br>e <a href="x">#tag</a></p>')).toBe(
      "a & b<c>\nd\ne #tag",
    );
    expect(text("<p>&#39;&#x41;&nbsp;b</p><ul><li>one</li><li>two</li></ul>")).toBe(
      "'A b\none\ntwo",
    );
    expect(statusText(status("1", "<p>word</p>", { spoiler_text: "cw" }))).toBe("cw\n\nword");
  });

  it("does not match across markup: a keyword split by a tag is not in the text", () => {
    const text = statusText(status("1", "<p>a</p><p>b</p><ul><li>c</li><li>d</li></ul>"));
    expect(matches([filter([["ab", false]])], text)).toEqual([]);
    expect(matches([filter([["cd", false]])], text)).toEqual([]);
    expect(matches([filter([["b", true]])], text)).toEqual([
      { title: expect.any(String), found: ["b"] },
    ]);
  });

  it("reads hostile HTML in linear time (an unclosed `<` does not rescan the rest)", () => {
    const start = performance.now();
    statusText(status("1", "<".repeat(60_000)));
    statusText(status("1", `<p>${"<a ".repeat(20_000)}`));
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe("serializeV1Filters", () => {
  it("gives one v1 filter per keyword", () => {
    const active = filter([], { action: "hide", context: ["home", "public"] });
    const v1 = serializeV1Filters([
      {
        filter: active.filter,
        keywords: [
          { seq: 7, filter: active.filter.seq, keyword: "a", wholeWord: true },
          { seq: 8, filter: active.filter.seq, keyword: "b", wholeWord: false },
        ],
        statuses: [],
      },
    ]);
    expect(v1).toEqual([
      {
        id: "7",
        phrase: "a",
        context: ["home", "public"],
        whole_word: true,
        expires_at: null,
        irreversible: true,
      },
      {
        id: "8",
        phrase: "b",
        context: ["home", "public"],
        whole_word: false,
        expires_at: null,
        irreversible: true,
      },
    ]);
  });
});
