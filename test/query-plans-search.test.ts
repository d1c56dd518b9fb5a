/**
 * The search queries' plans (`/api/v2/search`), as `query-plans.test.ts` checks the others'
 * (kept apart for its length): each query is the one the code runs, captured through drizzle's
 * logger and explained with EXPLAIN QUERY PLAN on real D1.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { searchAccounts } from "../src/storage/account-search";
import { searchNotes } from "../src/storage/search";
import { OWNER, plansOf, seedFollow, seedNote } from "./helpers";

describe("search query plans", () => {
  // Some rows, so that the planner sees real tables rather than empty ones.
  beforeAll(async () => {
    for (let n = 0; n < 5; n++) {
      await seedNote({ content: `<p>a searched note ${n}</p>` });
      await seedFollow(`https://remote.test/users/f${n}`, OWNER);
    }
  });

  it("finds notes through the full-text index, walked in its order, each match and what may hide it by key", async () => {
    const search = { match: '"note"', limit: 20, offset: 0, owner: OWNER, now: new Date() };
    for (const filters of [{}, { author: OWNER, maxId: 1n << 62n, minId: 1n }]) {
      const [plan = []] = await plansOf((db) => searchNotes(db, { ...search, ...filters }));
      const detail = plan.join("\n");
      // The index is the outer loop (M: the MATCH is its constraint), read backwards by rowid.
      expect(plan[0]).toMatch(/^SCAN notes_search VIRTUAL TABLE INDEX \d+:M/);
      expect(detail).toMatch(/^SEARCH notes USING INTEGER PRIMARY KEY \(rowid=\?\)$/m);
      for (const index of ["follows_edge_unique", "blocks_actor_unique", "mutes_actor_unique"]) {
        expect(detail).toMatch(new RegExp(`^SEARCH \\w+ USING (COVERING )?INDEX ${index} `, "m"));
      }
      // No full scan of notes or of anything else, and no sort of what matches.
      expect(detail).not.toMatch(/^SCAN (?!notes_search VIRTUAL TABLE)|TEMP B-TREE/m);
    }
  });

  it("finds accounts through their full-text index, each match and its follow by key, never reading the table", async () => {
    for (const following of [false, true]) {
      const search = { username: "f", owner: OWNER, following, limit: 20, offset: 0 };
      const [plan = []] = await plansOf((db) => searchAccounts(db, search));
      const detail = plan.join("\n");
      expect(detail).toMatch(
        /^SEARCH follows USING INDEX follows_edge_unique \(actor=\? AND follower=\?\)$/m,
      );
      // The matches come from the index; each is read by its key; nothing else is scanned.
      expect(detail).toMatch(/^SCAN actors_search VIRTUAL TABLE INDEX \d+:M/m);
      expect(detail).toMatch(/^SEARCH actors USING INTEGER PRIMARY KEY \(rowid=\?\)$/m);
      expect(detail.match(/^SCAN .*/gm)).toEqual([expect.stringMatching(/^SCAN actors_search /)]);
    }
  });
});
