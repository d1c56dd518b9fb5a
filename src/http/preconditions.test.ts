import { describe, expect, it } from "vitest";
import { evaluatePreconditions } from "./preconditions";

const current = { etag: '"abc"', lastModified: new Date("2026-01-02T03:04:05Z") };
const check = (headers: Record<string, string>) =>
  evaluatePreconditions(new Headers(headers), current);

describe("evaluatePreconditions", () => {
  it("serves without conditions", () => {
    expect(check({})).toBe(200);
  });

  it("answers 304 when If-None-Match names the tag (weakly, in a list, or *)", () => {
    expect(check({ "if-none-match": '"abc"' })).toBe(304);
    expect(check({ "if-none-match": '"x", W/"abc"' })).toBe(304);
    expect(check({ "if-none-match": "*" })).toBe(304);
    expect(check({ "if-none-match": '"x"' })).toBe(200);
  });

  it("answers 412 when If-Match does not name the tag, strongly", () => {
    expect(check({ "if-match": '"x"' })).toBe(412);
    expect(check({ "if-match": 'W/"abc"' })).toBe(412);
    expect(check({ "if-match": '"x", "abc"' })).toBe(200);
    expect(check({ "if-match": "*" })).toBe(200);
  });

  it("reads dates at whole seconds, and ignores one that is not a date", () => {
    expect(check({ "if-modified-since": "Fri, 02 Jan 2026 03:04:05 GMT" })).toBe(304);
    expect(check({ "if-modified-since": "Fri, 02 Jan 2026 03:04:04 GMT" })).toBe(200);
    expect(check({ "if-unmodified-since": "Fri, 02 Jan 2026 03:04:04 GMT" })).toBe(412);
    expect(check({ "if-unmodified-since": "junk" })).toBe(200);
    expect(check({ "if-modified-since": "junk" })).toBe(200);
    // Dates `Date.parse` would take, which are no HTTP dates.
    expect(check({ "if-unmodified-since": "1" })).toBe(200);
    expect(check({ "if-unmodified-since": "2024-01-01" })).toBe(200);
  });

  it("reads the RFC 850 and asctime forms too", () => {
    expect(check({ "if-modified-since": "Friday, 02-Jan-26 03:04:05 GMT" })).toBe(304);
    expect(check({ "if-modified-since": "Fri Jan  2 03:04:05 2026" })).toBe(304);
    expect(check({ "if-modified-since": "Thu Jan  1 03:04:05 2026" })).toBe(200);
  });

  it("lets the tags decide over the dates", () => {
    expect(
      check({ "if-none-match": '"x"', "if-modified-since": "Fri, 02 Jan 2026 03:04:05 GMT" }),
    ).toBe(200);
    expect(
      check({ "if-match": '"abc"', "if-unmodified-since": "Thu, 01 Jan 2026 00:00:00 GMT" }),
    ).toBe(200);
  });

  it("ignores malformed tags instead of failing on them", () => {
    for (const value of ["x", "=", '"unterminated', "W/", ",,,"]) {
      expect(check({ "if-none-match": value })).toBe(200);
      expect(check({ "if-match": value })).toBe(412);
    }
  });
});
