import { describe, expect, it } from "vitest";
import { parseHandle } from "../federation/resolve";
import { FOLLOWING_HEADER, MAX_IMPORT_ROWS, readFollowingCsv } from "./account-csv";

const read = (text: string) => readFollowingCsv(text, parseHandle);

describe("reading a following list", () => {
  it("takes Mastodon's export with its header, in any column order, BOM and CRLF included", () => {
    const text = `\uFEFF${FOLLOWING_HEADER.join(",")}\r\nalice@one.example,true,false,\r\n@Bob@Two.Example,false,true,"en, de"\r\n`;
    expect(read(text)).toEqual({
      ok: true,
      duplicates: 0,
      rows: [
        { line: 2, handle: "alice@one.example" },
        { line: 3, handle: "Bob@two.example" },
      ],
    });
    // A known first header names the columns (a list's file names the account second).
    expect(read("List name,Account address\nfriends,carol@three.example\n")).toMatchObject({
      ok: true,
      rows: [{ line: 2, handle: "carol@three.example" }],
    });
    // An unknown one is no header, as on Mastodon: the line is read as an account.
    expect(read("Languages,Account address\n")).toMatchObject({ ok: false, line: 1 });
  });

  it("takes one account a line without a header, skipping blank lines and repeats", () => {
    expect(read("alice@one.example\n\nacct:alice@ONE.example\nbob@two.example:8443\n")).toEqual({
      ok: true,
      duplicates: 1,
      rows: [
        { line: 1, handle: "alice@one.example" },
        { line: 4, handle: "bob@two.example:8443" },
      ],
    });
  });

  it("names the first bad line", () => {
    expect(read("Account address\nalice@one.example\nnot an account\n")).toEqual({
      ok: false,
      error: 'line 3: "not an account" is not an account address (user@domain)',
      line: 3,
    });
    expect(read('alice@one.example\n"broken\n')).toMatchObject({ ok: false, line: 2 });
    expect(read("#domain\nexample.com\n")).toMatchObject({ ok: false, line: 1 });
    expect(read("\n\n")).toEqual({ ok: false, error: "the file names no account" });
    expect(read("Account address\n")).toEqual({ ok: false, error: "the file names no account" });
  });

  it("refuses more rows than Mastodon takes", () => {
    const rows = Array.from({ length: MAX_IMPORT_ROWS + 1 }, (_, i) => `u${i}@h.example`);
    expect(read(rows.join("\n"))).toMatchObject({ ok: false, line: MAX_IMPORT_ROWS + 1 });
    expect(read(rows.slice(1).join("\n"))).toMatchObject({ ok: true });
  });
});
