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
      ["a[][b]", "list of objects"],
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
