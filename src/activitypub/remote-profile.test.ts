import { describe, expect, it } from "vitest";
import { collectionItems, parseRemoteProfile, totalItemsOf } from "./remote-profile";

describe("parseRemoteProfile", () => {
  it("reads PropertyValue fields (cut, at most 16), and the flags only when they are booleans", () => {
    const profile = parseRemoteProfile({
      attachment: [
        { type: "PropertyValue", name: "Site", value: "<a href='https://a.test'>a.test</a>" },
        { type: "IdentityProof", name: "proof", signatureValue: "x" },
        { type: "PropertyValue", nameMap: { en: "Pronouns" }, value: "they/them" },
        { type: "PropertyValue", name: "no value" },
        { type: "PropertyValue", name: "x".repeat(300), value: "y".repeat(3000) },
        ...Array.from({ length: 20 }, (_, i) => ({
          type: "PropertyValue",
          name: `f${i}`,
          value: "v",
        })),
      ],
      discoverable: true,
      indexable: "yes",
    });
    expect(profile.fields.slice(0, 2)).toEqual([
      { name: "Site", value: "<a href='https://a.test'>a.test</a>" },
      { name: "Pronouns", value: "they/them" },
    ]);
    expect(profile.fields[2]?.name).toHaveLength(255);
    expect(profile.fields[2]?.value).toHaveLength(2047);
    expect(profile.fields).toHaveLength(16);
    expect(profile).toMatchObject({ discoverable: true, indexable: null });
    expect(parseRemoteProfile({ attachment: "nonsense" })).toEqual({
      fields: [],
      discoverable: null,
      indexable: null,
    });
  });
});

describe("collections", () => {
  it("finds the items inline, on an embedded first page, or behind a linked one", () => {
    expect(collectionItems({ orderedItems: [1, 2, 3] }, 2)).toEqual({
      kind: "items",
      items: [1, 2],
    });
    expect(collectionItems({ items: "a" }, 5)).toEqual({ kind: "items", items: ["a"] });
    expect(collectionItems({ first: { orderedItems: [1] } }, 5)).toEqual({
      kind: "items",
      items: [1],
    });
    expect(collectionItems({ first: "https://a.test/outbox?page=1" }, 5)).toEqual({
      kind: "page",
      url: "https://a.test/outbox?page=1",
    });
    expect(collectionItems({ first: { id: "https://a.test/p" } }, 5)).toEqual({
      kind: "page",
      url: "https://a.test/p",
    });
    expect(collectionItems({ first: "javascript:x" }, 5)).toEqual({ kind: "none" });
  });

  it("takes a total only when it is a whole number", () => {
    expect(totalItemsOf({ totalItems: 42 })).toBe(42);
    for (const totalItems of [-1, 1.5, "42", 2 ** 60, null]) {
      expect(totalItemsOf({ totalItems })).toBeUndefined();
    }
  });
});
