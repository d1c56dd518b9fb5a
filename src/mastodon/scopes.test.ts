import { describe, expect, it } from "vitest";
import { grants, parseScopes, within } from "./scopes";

describe("Mastodon's scopes", () => {
  const held = (list: string) => new Set(list.split(" "));

  it("read and write grant their granular scopes, and nothing of admin's", () => {
    expect(grants(held("read"), "read:statuses")).toBe(true);
    expect(grants(held("write"), "write:favourites")).toBe(true);
    expect(grants(held("read"), "write:statuses")).toBe(false);
    expect(grants(held("read write follow push"), "admin:read")).toBe(false);
    expect(grants(held("read"), "admin:read:accounts")).toBe(false);
    expect(grants(held("admin:read"), "admin:read:accounts")).toBe(true);
  });

  it("follow grants follows, blocks and mutes, and nothing else", () => {
    for (const s of ["read:follows", "write:follows", "read:blocks", "write:mutes"]) {
      expect(grants(held("follow"), s)).toBe(true);
    }
    expect(grants(held("follow"), "read:statuses")).toBe(false);
    expect(grants(held("follow"), "read:accounts")).toBe(false);
  });

  it("profile and push grant only themselves", () => {
    expect(grants(held("profile"), "read:accounts")).toBe(false);
    expect(grants(held("push"), "read")).toBe(false);
  });

  it("an app may ask for what it registered, granular parts of it, but not follow from read write", () => {
    expect(within(["read:statuses", "write"], held("read write"))).toBe(true);
    expect(within(["follow"], held("read write"))).toBe(false);
    expect(within(["admin:read"], held("read write"))).toBe(false);
  });

  it("reads space- and plus-separated lists, defaults to read, and names what it does not know", () => {
    expect(parseScopes("read+write  follow")).toEqual({
      ok: true,
      scopes: ["read", "write", "follow"],
    });
    expect(parseScopes(undefined)).toEqual({ ok: true, scopes: ["read"] });
    expect(parseScopes("read constructor __proto__")).toEqual({
      ok: false,
      unknown: ["constructor", "__proto__"],
    });
    expect(
      parseScopes(
        Array(100)
          .fill("read:x")
          .map((s, i) => `${s}${i}`)
          .join(" "),
      ).ok,
    ).toBe(false);
  });
});
