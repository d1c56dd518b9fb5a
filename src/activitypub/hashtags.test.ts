import { describe, expect, it } from "vitest";
import { hashtagOf, normalizeHashtag } from "./hashtags";

describe("normalizeHashtag", () => {
  it("folds compatibility forms (NFKC) and case, and drops the #", () => {
    expect(normalizeHashtag("#Heron")).toBe("heron");
    expect(normalizeHashtag("ＨＥＲＯＮ")).toBe("heron");
    expect(normalizeHashtag("＃ｈｅｒｏｎ")).toBe("heron");
    expect(normalizeHashtag("ﬁsh")).toBe("fish");
    // Composed and decomposed accents are one name.
    expect(normalizeHashtag("Cafe\u0301")).toBe(normalizeHashtag("Café"));
    // What it does not validate (a received tag is kept as its server named it).
    expect(normalizeHashtag("#foo-bar")).toBe("foo-bar");
  });
});

describe("hashtagOf", () => {
  it("is the stored name of what can be a hashtag, and undefined for the rest", () => {
    expect(hashtagOf(" #ＣＡＴＳ ")).toBe("cats");
    expect(hashtagOf("日本語")).toBe("日本語");
    expect(hashtagOf("a_b·c\u200cd")).toBe("a_b·c\u200cd");
    for (const text of ["", "#", "not a tag", "foo-bar", "#a#b", "x".repeat(101)]) {
      expect(hashtagOf(text), text).toBeUndefined();
    }
    expect(hashtagOf("x".repeat(100))).toBe("x".repeat(100));
  });
});
