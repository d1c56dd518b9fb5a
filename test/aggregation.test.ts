/**
 * Likes and boosts of the owner's notes, counted: once per actor whatever arrives twice or at
 * once, undone in both shapes of `Undo`, and shown in the note, its `likes` and `shares`
 * collections and the owner's API.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { notes, reactions } from "../src/storage/schema";
import { AP, api, BROWSER, db, get, getJson, seedNote } from "./helpers";
import { accepted, ORIGIN, RemoteActor } from "./support/remote";

const HOST = "fans.test";
const alice = await RemoteActor.create({ host: HOST, username: "alice" });
const bob = await RemoteActor.create({ host: HOST, username: "bob" });
const carol = await RemoteActor.create({ host: "other-fans.test", username: "carol" });

/** The counts stored on the note. */
async function countsOf(id: string) {
  const [row] = await db()
    .select({ likes: notes.likesCount, shares: notes.sharesCount })
    .from(notes)
    .where(eq(notes.id, id));
  return row;
}

/** The counts as the note's document, its two collections and the owner's API show them. */
async function shownCounts(note: { id: string; statusId: string }) {
  const document = await getJson<{
    likes: { id: string; type: string; totalItems: number };
    shares: { id: string; type: string; totalItems: number };
  }>(note.id);
  const likes = await getJson<{ type: string; totalItems: number }>(`${note.id}/likes`);
  const shares = await getJson<{ type: string; totalItems: number }>(`${note.id}/shares`);
  const status = (await (await api(`/v1/statuses/${note.statusId}`)).json()) as {
    favourites_count: number;
    reblogs_count: number;
  };
  expect(document.likes).toEqual({
    id: `${note.id}/likes`,
    type: "Collection",
    totalItems: likes.totalItems,
  });
  expect(document.shares).toEqual({
    id: `${note.id}/shares`,
    type: "Collection",
    totalItems: shares.totalItems,
  });
  expect(status.favourites_count).toBe(likes.totalItems);
  expect(status.reblogs_count).toBe(shares.totalItems);
  return { likes: likes.totalItems, shares: shares.totalItems };
}

describe("like and boost counts", () => {
  it("counts a like once per actor: a repeated delivery and a second Like both change nothing", async () => {
    const note = await seedNote();
    const first = alice.like(note.id);
    await accepted(alice, first);
    await accepted(alice, first);
    await accepted(alice, alice.like(note.id));
    await accepted(bob, bob.like(note.id));
    await accepted(alice, alice.boost(note.id));
    await accepted(alice, alice.boost(note.id));
    expect(await countsOf(note.id)).toEqual({ likes: 2, shares: 1 });
    expect(await shownCounts(note)).toEqual({ likes: 2, shares: 1 });
  });

  it("stays exact when the same and different actors deliver at once", async () => {
    const note = await seedNote();
    const fans = await RemoteActor.crowd("crowd", 6);
    await Promise.all([
      ...fans.map((fan) => accepted(fan, fan.like(note.id))),
      ...fans.map((fan) => accepted(fan, fan.like(note.id))),
      ...fans.slice(0, 3).map((fan) => accepted(fan, fan.boost(note.id))),
    ]);
    expect(await countsOf(note.id)).toEqual({ likes: 6, shares: 3 });
  });

  it("takes a like or boost off when undone by id alone or with the activity embedded", async () => {
    const note = await seedNote();
    const aliceLike = alice.like(note.id);
    const bobLike = bob.like(note.id);
    const aliceBoost = alice.boost(note.id);
    const bobBoost = bob.boost(note.id);
    for (const [actor, activity] of [
      [alice, aliceLike],
      [bob, bobLike],
      [alice, aliceBoost],
      [bob, bobBoost],
    ] as const) {
      await accepted(actor, activity);
    }
    expect(await countsOf(note.id)).toEqual({ likes: 2, shares: 2 });
    // By id alone.
    await accepted(alice, alice.activity("Undo", aliceLike.id));
    await accepted(alice, alice.activity("Undo", aliceBoost.id));
    expect(await countsOf(note.id)).toEqual({ likes: 1, shares: 1 });
    // Embedded, with an id we never saw (Misskey-like): matched by its object.
    await accepted(bob, bob.activity("Undo", { ...bobLike, id: bob.newId() }));
    await accepted(bob, bob.activity("Undo", bobBoost));
    expect(await countsOf(note.id)).toEqual({ likes: 0, shares: 0 });
    expect(await shownCounts(note)).toEqual({ likes: 0, shares: 0 });
    // Someone else's Undo takes nothing away.
    await accepted(alice, alice.like(note.id));
    await accepted(bob, bob.activity("Undo", { ...alice.like(note.id), actor: alice.id }));
    expect(await countsOf(note.id)).toEqual({ likes: 1, shares: 0 });
  });

  it("recounts the notes an actor reacted to when the actor is deleted", async () => {
    const temp = await RemoteActor.create({ host: "leaving.test", username: "temp" });
    const one = await seedNote();
    const two = await seedNote();
    await accepted(temp, temp.like(one.id));
    await accepted(temp, temp.boost(two.id));
    await accepted(alice, alice.like(two.id));
    expect(await countsOf(one.id)).toEqual({ likes: 1, shares: 0 });
    expect(await countsOf(two.id)).toEqual({ likes: 1, shares: 1 });
    await accepted(temp, temp.activity("Delete", temp.id));
    expect(await countsOf(one.id)).toEqual({ likes: 0, shares: 0 });
    expect(await countsOf(two.id)).toEqual({ likes: 1, shares: 0 });
  });

  it("counts the owner's own like and boost, and their undoing", async () => {
    const note = await seedNote();
    const action = (path: string) =>
      api(`/v1/statuses/${note.statusId}/${path}`, { method: "POST" });
    expect(await (await action("favourite")).json()).toMatchObject({
      favourited: true,
      favourites_count: 1,
    });
    expect((await action("reblog")).status).toBe(200);
    expect(await countsOf(note.id)).toEqual({ likes: 1, shares: 1 });
    expect(await (await action("unfavourite")).json()).toMatchObject({
      favourited: false,
      favourites_count: 0,
      reblogged: true,
      reblogs_count: 1,
    });
    await action("unreblog");
    expect(await shownCounts(note)).toEqual({ likes: 0, shares: 0 });
  });
});

describe("likes and shares collections", () => {
  it("answer an OrderedCollection with totalItems, as ActivityStreams JSON", async () => {
    const note = await seedNote();
    await accepted(carol, carol.like(note.id));
    for (const [which, total] of [
      ["likes", 1],
      ["shares", 0],
    ] as const) {
      const res = await get(`${note.id}/${which}`, AP);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toBe("application/activity+json; charset=utf-8");
      expect(res.headers.get("Vary")).toBe("Accept");
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        id: `${note.id}/${which}`,
        type: "OrderedCollection",
        totalItems: total,
      });
      expect(body["@context"]).toContain("https://www.w3.org/ns/activitystreams");
      // Counted, never listed one by one.
      expect(body).not.toHaveProperty("orderedItems");
      expect(body).not.toHaveProperty("first");
    }
  });

  it("send browsers to the note's page", async () => {
    const note = await seedNote();
    const res = await get(`${note.id}/likes`, BROWSER);
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe(`${ORIGIN}/@owner/${note.slug}`);
  });

  it("answer 404 for unknown and hidden notes, 410 for deleted ones", async () => {
    const hidden = await seedNote({ visibility: "private" });
    const deleted = await seedNote({ deleted: true });
    for (const which of ["likes", "shares"]) {
      for (const path of [
        `/users/owner/statuses/999999/${which}`,
        `/users/someone/statuses/1/${which}`,
        `${hidden.id}/${which}`,
      ]) {
        const res = await get(path, AP);
        expect(res.status, path).toBe(404);
        expect(await res.json()).toEqual({ error: expect.any(String) });
      }
      const gone = await get(`${deleted.id}/${which}`, AP);
      expect(gone.status).toBe(410);
      expect(await gone.json()).toMatchObject({ id: deleted.id, type: "Tombstone" });
    }
  });
});

describe("the counts of notes liked before they were counted", () => {
  it("are filled in by the migration that backfills them", async () => {
    const note = await seedNote();
    const old = (n: number, type: "Like" | "Announce") => ({
      id: `https://before.test/${type}/${n}`,
      type,
      actor: `https://before.test/users/u${n}`,
      object: note.id,
      createdAt: new Date(),
    });
    // Stored as an instance that predates the counts would have them: with the counts at 0.
    await db()
      .insert(reactions)
      .values([old(1, "Like"), old(2, "Like"), old(3, "Like"), old(4, "Announce")]);
    const counts = () => countsOf(note.id);
    expect(await counts()).toEqual({ likes: 0, shares: 0 });
    const backfill = env.TEST_MIGRATIONS.find((m) => m.name.includes("backfill_reaction_counts"));
    if (backfill === undefined) throw new Error("no backfill migration");
    await env.DB.batch(backfill.queries.map((query) => env.DB.prepare(query)));
    expect(await counts()).toEqual({ likes: 3, shares: 1 });
  });
});
