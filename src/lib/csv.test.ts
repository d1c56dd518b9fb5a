import { describe, expect, it } from "vitest";
import { csvRow, parseCsvLine } from "./csv";

describe("csv", () => {
  it("quotes a field only when it must, as Ruby's CSV does", () => {
    expect(csvRow(["alice@example.com", "true", "false", ""])).toBe(
      "alice@example.com,true,false,\n",
    );
    expect(csvRow(["en, de", 'say "hi"', "a\nb"])).toBe('"en, de","say ""hi""","a\nb"\n');
  });

  it("reads back what it writes, and refuses misplaced quotes", () => {
    const fields = ["a@b.c", "en, de", 'x "y"', ""];
    expect(parseCsvLine(csvRow(fields).trimEnd())).toEqual(fields);
    expect(parseCsvLine("")).toEqual([""]);
    expect(parseCsvLine("a,,b")).toEqual(["a", "", "b"]);
    expect(parseCsvLine('"unterminated')).toBeUndefined();
    expect(parseCsvLine('"closed"trailing')).toBeUndefined();
    expect(parseCsvLine('bare"quote')).toBeUndefined();
  });
});
