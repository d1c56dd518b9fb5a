import { describe, expect, it } from "vitest";
import { byteRange, rangeStillApplies } from "./ranges";

describe("byteRange", () => {
  it("reads the three forms of one range, clamped to the file", () => {
    expect(byteRange("bytes=0-0", 10)).toEqual({ kind: "part", offset: 0, length: 1 });
    expect(byteRange("bytes=3-", 10)).toEqual({ kind: "part", offset: 3, length: 7 });
    expect(byteRange("bytes=-3", 10)).toEqual({ kind: "part", offset: 7, length: 3 });
    expect(byteRange("bytes=5-99999999999999999999", 10)).toEqual({
      kind: "part",
      offset: 5,
      length: 5,
    });
  });

  it("finds nothing of an empty file, nor past the end, nor in an empty suffix", () => {
    for (const range of ["bytes=0-", "bytes=-1", "bytes=0-0"]) {
      expect(byteRange(range, 0), range).toEqual({ kind: "unsatisfiable" });
    }
    expect(byteRange("bytes=99999999999999999999-", 10)).toEqual({ kind: "unsatisfiable" });
    expect(byteRange("bytes=-0", 10)).toEqual({ kind: "unsatisfiable" });
  });

  it("ignores what it cannot serve as one part: the whole file", () => {
    for (const range of [
      "",
      "bytes=",
      "bytes=1-2,4-5",
      "bytes=2-1",
      "bytes=a-",
      "bytes=1.5-2",
      "pages=1-2",
    ]) {
      expect(byteRange(range, 10), range).toEqual({ kind: "whole" });
    }
  });
});

describe("rangeStillApplies", () => {
  const current = { etag: '"abc"', lastModified: new Date("2026-03-01T10:00:00.600Z") };
  it("holds with no If-Range, the same strong tag or the same date; not otherwise", () => {
    expect(rangeStillApplies(null, current)).toBe(true);
    expect(rangeStillApplies('"abc"', current)).toBe(true);
    expect(rangeStillApplies("Sun, 01 Mar 2026 10:00:00 GMT", current)).toBe(true);
    expect(rangeStillApplies('W/"abc"', current)).toBe(false);
    expect(rangeStillApplies('"abd"', current)).toBe(false);
    expect(rangeStillApplies("Sun, 01 Mar 2026 10:00:01 GMT", current)).toBe(false);
    expect(rangeStillApplies("yesterday", current)).toBe(false);
  });
});
