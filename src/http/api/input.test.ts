import { describe, expect, it } from "vitest";
import { fromForm } from "./input";

const form = (pairs: [string, string][]) => {
  const data = new FormData();
  for (const [name, value] of pairs) data.append(name, value);
  return fromForm(data);
};

describe("fromForm", () => {
  it("reads lists and nested fields as Rails does", () => {
    expect(
      form([
        ["status", "hi"],
        ["media_ids[]", "1"],
        ["media_ids[]", "2"],
        ["poll[options][]", "yes"],
        ["poll[options][]", "no"],
        ["poll[expires_in]", "60"],
      ]),
    ).toEqual({
      status: "hi",
      media_ids: ["1", "2"],
      poll: { options: ["yes", "no"], expires_in: "60" },
    });
  });

  it("reads a list of objects as Rails does: a name set already starts the next object", () => {
    expect(
      form([
        ["keywords_attributes[][keyword]", "cats"],
        ["keywords_attributes[][whole_word]", "true"],
        ["keywords_attributes[][keyword]", "dogs"],
        ["context[]", "home"],
      ]),
    ).toEqual({
      keywords_attributes: [{ keyword: "cats", whole_word: "true" }, { keyword: "dogs" }],
      context: ["home"],
    });
  });

  it("keeps the last of a repeated plain name", () => {
    expect(
      form([
        ["visibility", "public"],
        ["visibility", "direct"],
      ]),
    ).toEqual({
      visibility: "direct",
    });
  });

  it("ignores names nested too deep or malformed, and pollutes no prototype", () => {
    const read = form([
      ["a[b][c][d][e]", "deep"],
      ["a[][b][c]", "list of deep objects"],
      ["a[][]", "list of lists"],
      ["[x]", "no name"],
      ["b]", "broken"],
      ["__proto__[polluted]", "yes"],
    ]);
    expect(Object.keys(read).sort()).toEqual(["__proto__"]);
    expect(({} as { polluted?: string }).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(read, "__proto__")?.value).toEqual({
      polluted: "yes",
    });
  });
});
