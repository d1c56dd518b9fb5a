import { env } from "cloudflare:test";
import type { SQL } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "./db";
import { nowForMutes } from "./safety";
import { notes } from "./schema";
import { homeBoosts, homeBoostsOf, homeNotes, homeNotesOf } from "./timeline";

const db = () => createDb(env.DB);
const query = (where: SQL) => db().select({ seq: notes.seq }).from(notes).where(where).toSQL();

describe("the home's conditions, rendered once", () => {
  it("build what drizzle builds for each viewer, each later viewer's owner and time bound", () => {
    const viewers = [
      { owner: "https://one.example/users/owner", now: new Date("2026-12-01T10:00:00Z") },
      { owner: "https://two.example/users/o'wner", now: new Date("2026-12-03T12:34:56Z") },
    ];
    for (const viewer of viewers) {
      const rendered = query(homeNotes(db(), viewer));
      expect(rendered).toEqual(query(homeNotesOf(db(), viewer)));
      expect(rendered.params).toContain(viewer.owner);
      expect(rendered.params).toContain(nowForMutes(viewer.now));
      const boosts = query(homeBoosts(db(), viewer));
      expect(boosts).toEqual(query(homeBoostsOf(db(), viewer)));
      expect(boosts.params).toContain(nowForMutes(viewer.now));
    }
  });
});
