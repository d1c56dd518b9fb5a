import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, nestsWithin } from "./json-depth";

/** `[[[...]]]`, `depth` levels, built without recursion. */
function nested(depth: number): unknown {
  let value: unknown = "x";
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { object: value };
  return value;
}

describe("nestsWithin", () => {
  it("counts arrays and objects, not scalars", () => {
    expect(nestsWithin("text", 0)).toBe(true);
    expect(nestsWithin(null, 0)).toBe(true);
    expect(nestsWithin({}, 0)).toBe(false);
    expect(nestsWithin({ a: [1, { b: 2 }] }, 3)).toBe(true);
    expect(nestsWithin({ a: [1, { b: 2 }] }, 2)).toBe(false);
  });

  it("measures a value nested 200,000 deep without overflowing the stack", () => {
    const deep = nested(200_000);
    expect(nestsWithin(deep, MAX_JSON_DEPTH)).toBe(false);
    expect(nestsWithin(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsWithin(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(false);
  });

  it("looks at every branch, not only the first", () => {
    expect(nestsWithin({ a: 1, b: [1, 2, nested(10)] }, 11)).toBe(false);
    expect(nestsWithin({ a: 1, b: [1, 2, nested(10)] }, 12)).toBe(true);
  });
});
