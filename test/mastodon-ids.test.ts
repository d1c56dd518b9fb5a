/**
 * Mastodon-shaped ids (`src/mastodon/ids.ts`, `src/storage/ids.ts`): SQL and JavaScript give
 * every stored row the same id, ids sort by time, a boost's differs from its note's, ids past
 * 2^53 cross the API exactly, any id is a cursor in any list, and each kind answers at its
 * route. Properties run with fixed seeds.
 */
import { eq } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { publishedAt } from "../src/federation/remote-notes";
import {
  accountId,
  boostId,
  type IdKind,
  MAX_ID_TIME,
  mastodonId,
  noteId,
  notificationId,
} from "../src/mastodon/ids";
import { actorByApiId } from "../src/storage/actors";
import { accountIdSql, boostIdSql, idText, noteIdSql, notificationIdSql } from "../src/storage/ids";
import { noteByApiId } from "../src/storage/notes";
import { boostByApiId } from "../src/storage/reactions";
import { actors, notes, notifications, reactions } from "../src/storage/schema";
import { api, db, ownerAccountId, statusIdOf } from "./helpers";
import { mention } from "./support/notifications";
import { accepted, OWNER, RemoteActor } from "./support/remote";

const SEED = 20261202;
const TWO_53 = 2n ** 53n;

const time = fc.oneof(
  fc.integer({ min: 0, max: 1000 }),
  fc.integer({ min: MAX_ID_TIME - 1000, max: MAX_ID_TIME }),
  fc.integer({ min: 0, max: MAX_ID_TIME }),
);
// Past the 15 and 16 bits an id keeps of a seq, too.
const seq = fc.oneof(
  fc.integer({ min: 1, max: 70_000 }),
  fc.constantFrom(32_767, 32_768, 32_769, 65_535, 65_536, 65_537, 2 ** 31, 2 ** 40 + 5),
  fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
);
const stamped = fc.uniqueArray(fc.record({ time, seq }), {
  selector: (r) => r.seq,
  minLength: 1,
  maxLength: 6,
});

/** Tusky's order of ids: the longer is newer, then the text. */
const tuskyCompare = (a: string, b: string) =>
  a.length === b.length ? (a < b ? -1 : a > b ? 1 : 0) : a.length - b.length;
const byValue = (a: string, b: string) => (BigInt(a) < BigInt(b) ? -1 : a === b ? 0 : 1);

/** Stores rows of each kind at these times and seqs, in place of what was there. */
async function storeRows(rows: readonly { time: number; seq: number }[]) {
  const d = db();
  await d.delete(notes);
  await d.delete(reactions);
  await d.delete(notifications);
  await d.delete(actors);
  for (const { time, seq } of rows) {
    const at = new Date(time);
    const actor = `https://ids.test/users/u${seq}`;
    await d.insert(notes).values({
      seq,
      id: `https://ids.test/notes/${seq}`,
      attributedTo: actor,
      visibility: "public",
      published: at,
    });
    await d.insert(reactions).values({
      seq,
      id: `https://ids.test/boosts/${seq}`,
      type: "Announce",
      actor,
      object: `https://ids.test/notes/${seq}`,
      createdAt: at,
    });
    await d.insert(actors).values({
      seq,
      id: actor,
      type: "Person",
      domain: "ids.test",
      inbox: `${actor}/inbox`,
      fetchedAt: at,
      createdAt: at,
    });
    await d.insert(notifications).values({ seq, type: "follow", account: actor, createdAt: at });
  }
}

describe("ids in SQL and in JavaScript", () => {
  it("are the same for every stored row, and SQL orders rows as their ids sort", async () => {
    await fc.assert(
      fc.asyncProperty(stamped, async (rows) => {
        await storeRows(rows);
        const d = db();
        const noteIds = await d.select({ id: idText(noteIdSql()), row: notes }).from(notes);
        const pairs = [
          ...noteIds.map(({ id, row }) => [id, noteId(row)]),
          ...(await d.select({ id: idText(boostIdSql()), row: reactions }).from(reactions)).map(
            ({ id, row }) => [id, boostId(row)],
          ),
          ...(await d.select({ id: idText(accountIdSql()), row: actors }).from(actors)).map(
            ({ id, row }) => [id, accountId(row)],
          ),
          ...(
            await d
              .select({ id: idText(notificationIdSql()), row: notifications })
              .from(notifications)
          ).map(({ id, row }) => [id, notificationId(row)]),
        ];
        expect(pairs).toHaveLength(rows.length * 4);
        for (const [inSql, inJs] of pairs) {
          expect(inSql).toBe(inJs);
          expect(BigInt(inSql ?? -1)).toBeGreaterThanOrEqual(0n);
        }
        // Walked in id order (by their index), rows come as their ids sort.
        const walked = await d
          .select({ id: idText(noteIdSql()) })
          .from(notes)
          .orderBy(noteIdSql());
        expect(walked.map((r) => r.id)).toEqual(noteIds.map((r) => r.id).sort(byValue));
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it("find each row by its id through the expression index", async () => {
    await fc.assert(
      fc.asyncProperty(stamped, async (rows) => {
        await storeRows(rows);
        for (const { time, seq } of rows) {
          const at = new Date(time);
          const note = await noteByApiId(db(), BigInt(mastodonId("note", at, seq)));
          expect(note && noteId(note)).toBe(mastodonId("note", at, seq));
          const boost = await boostByApiId(db(), BigInt(mastodonId("boost", at, seq)));
          expect(boost && boostId(boost.boost)).toBe(mastodonId("boost", at, seq));
          const actor = await actorByApiId(db(), BigInt(mastodonId("account", at, seq)));
          expect(actor && accountId(actor)).toBe(mastodonId("account", at, seq));
        }
      }),
      { seed: SEED + 1, numRuns: 15 },
    );
  });
});

describe("ids in JavaScript", () => {
  const kind = fc.constantFrom<IdKind>("note", "boost", "account", "notification", "app");
  const id = fc.record({ kind, time, seq });

  it("sort by time, as numbers and as Tusky compares them", () => {
    fc.assert(
      fc.property(id, id, (a, b) => {
        const x = mastodonId(a.kind, a.time, a.seq);
        const y = mastodonId(b.kind, b.time, b.seq);
        if (a.time < b.time) expect(BigInt(x)).toBeLessThan(BigInt(y));
        expect(Math.sign(tuskyCompare(x, y))).toBe(Math.sign(byValue(x, y)));
        expect(x).toMatch(/^(0|[1-9]\d{0,18})$/);
        expect(BigInt(x)).toBeLessThan(2n ** 63n);
      }),
      { seed: SEED + 2, numRuns: 2000 },
    );
  });

  it("give a boost an id no note has, whatever their times and seqs", () => {
    fc.assert(
      fc.property(fc.record({ time, seq }), fc.record({ time, seq }), (a, b) => {
        expect(mastodonId("boost", a.time, a.seq)).not.toBe(mastodonId("note", b.time, b.seq));
        // A remote account's id is never the owner's either (odd, and low bits 0).
        expect(BigInt(mastodonId("account", a.time, a.seq)) % 65536n).not.toBe(0n);
      }),
      { seed: SEED + 3, numRuns: 1000 },
    );
  });

  it("clamp times to what an id holds, and a remote note's date to [0, its arrival]", () => {
    expect(mastodonId("note", -5, 1)).toBe(mastodonId("note", 0, 1));
    expect(mastodonId("note", 2 ** 60, 1)).toBe(mastodonId("note", MAX_ID_TIME, 1));
    const arrival = new Date("2026-06-01T00:00:00Z");
    expect(publishedAt({ published: new Date("3000-01-01T00:00:00Z") }, arrival)).toEqual(arrival);
    expect(publishedAt({ published: new Date("1900-01-01T00:00:00Z") }, arrival)).toEqual(
      new Date(0),
    );
    expect(publishedAt({ published: undefined }, arrival)).toEqual(arrival);
    const earlier = new Date("2026-05-01T00:00:00Z");
    expect(publishedAt({ published: earlier }, arrival)).toEqual(earlier);
  });
});

describe("ids through the API", () => {
  const HOME = "/v1/timelines/home";
  const ids = async (path: string) =>
    ((await (await api(path)).json()) as { id: string }[]).map((s) => s.id);

  it("resolve at their routes: the owner, a remote account, a note, a boost", async () => {
    await storeRows([]);
    const ownerId = await ownerAccountId();
    expect(BigInt(ownerId) % 65536n).toBe(0n);
    expect(await (await api(`/v1/accounts/${ownerId}`)).json()).toMatchObject({ uri: OWNER });

    const [fan] = await RemoteActor.crowd("idfan", 1);
    if (fan === undefined) throw new Error("no fan");
    const note = fan.note("<p>hello</p>", { tag: [mention] });
    await accepted(fan, fan.activity("Create", note));
    const statusId = await statusIdOf(note.id);
    const status = (await (await api(`/v1/statuses/${statusId}`)).json()) as {
      id: string;
      account: { id: string; uri: string };
    };
    expect(status).toMatchObject({ id: statusId, account: { uri: fan.id } });
    expect(await (await api(`/v1/accounts/${status.account.id}`)).json()).toMatchObject({
      id: status.account.id,
      uri: fan.id,
    });

    // The fan boosts the owner's post: a status of its own, by the fan, the post inside.
    const mine = (await (await api("/v1/statuses", { body: { status: "boost me" } })).json()) as {
      id: string;
      uri: string;
    };
    await accepted(fan, fan.boost(mine.uri));
    const [boost] = await db().select().from(reactions).where(eq(reactions.object, mine.uri));
    if (boost === undefined) throw new Error("boost not stored");
    const shown = await (await api(`/v1/statuses/${boostId(boost)}`)).json();
    expect(shown).toMatchObject({
      id: boostId(boost),
      uri: boost.id,
      account: { id: status.account.id },
      reblog: { id: mine.id, uri: mine.uri },
    });
    // Only its maker may undo a boost by its id.
    expect((await api(`/v1/statuses/${boostId(boost)}`, { method: "DELETE" })).status).toBe(404);

    // The owner's boost, undone through its id as Mastodon's apps do.
    const own = (await (
      await api(`/v1/statuses/${statusId}/reblog`, { method: "POST" })
    ).json()) as {
      id: string;
    };
    expect(own.id).not.toBe(statusId);
    expect(BigInt(own.id) % 2n).toBe(1n);
    const undone = await api(`/v1/statuses/${own.id}`, { method: "DELETE" });
    expect(await undone.json()).toMatchObject({ id: own.id, reblog: { id: statusId } });
    expect(await (await api(`/v1/statuses/${statusId}`)).json()).toMatchObject({
      reblogged: false,
    });
    expect((await api(`/v1/statuses/${own.id}`)).status).toBe(404);

    // The ids of old name nothing.
    const [row] = await db().select().from(notes).where(eq(notes.id, note.id));
    for (const old of [
      `/v1/statuses/${row?.seq}`,
      "/v1/accounts/owner",
      "/v1/statuses/1-boost-1",
    ]) {
      expect((await api(old)).status, old).toBe(404);
    }
  });

  it("carry ids past 2^53 exactly, and take any id as a cursor", async () => {
    await storeRows([]);
    // The owner's notes a minute apart, and between the 3rd and 4th a follow notification.
    const start = Date.parse("2026-03-01T00:00:00Z");
    const d = db();
    const posted: string[] = [];
    for (let n = 0; n < 5; n++) {
      const [row] = await d
        .insert(notes)
        .values({
          // Past the bits an id keeps of a seq: the ids must still be the rows'.
          seq: 70_000 + n,
          id: `${OWNER}/statuses/ids-${n}`,
          attributedTo: OWNER,
          visibility: "public",
          published: new Date(start + n * 60_000),
        })
        .returning();
      if (row !== undefined) posted.push(noteId(row));
    }
    const follower = "https://ids.test/users/follower";
    await d.insert(actors).values({
      id: follower,
      type: "Person",
      domain: "ids.test",
      inbox: `${follower}/inbox`,
      fetchedAt: new Date(start),
      createdAt: new Date(start + 150_000),
    });
    await d
      .insert(notifications)
      .values({ type: "follow", account: follower, createdAt: new Date(start + 150_000) });
    const newest = [...posted].reverse();
    expect(await ids(`${HOME}?limit=5`)).toEqual(newest);
    for (const id of posted) expect(BigInt(id)).toBeGreaterThan(TWO_53);

    // Exactly, in the JSON text too (a double would round the last digits).
    const text = await (await api(`/v1/statuses/${posted[4]}`)).text();
    expect(text).toContain(`"id":"${posted[4]}"`);

    // A notification's id is a time: on the home timeline, it splits the notes around it.
    const [notification] = (await (await api("/v1/notifications")).json()) as { id: string }[];
    if (notification === undefined) throw new Error("no notification");
    expect(await ids(`${HOME}?max_id=${notification.id}`)).toEqual(newest.slice(2));
    expect(await ids(`${HOME}?min_id=${notification.id}&limit=1`)).toEqual([newest[1]]);
    expect(await ids(`${HOME}?since_id=${notification.id}`)).toEqual(newest.slice(0, 2));
    // So is an account's: the follower was first seen at the same time.
    const account = await (await api("/v1/notifications")).json();
    const accountCursor = (account as { account: { id: string } }[])[0]?.account.id;
    expect(await ids(`${HOME}?max_id=${accountCursor}`)).toEqual(newest.slice(2));
    // Status ids as cursors; the largest id; an id at time 0.
    expect(await ids(`${HOME}?max_id=${posted[3]}&since_id=${posted[0]}`)).toEqual([
      posted[2],
      posted[1],
    ]);
    expect(await ids(`${HOME}?max_id=9223372036854775807&limit=2`)).toEqual(newest.slice(0, 2));
    expect(await ids(`${HOME}?max_id=1`)).toEqual([]);
    expect(await ids(`${HOME}?min_id=0&limit=2`)).toEqual([posted[1], posted[0]]);
    // The notifications take status ids as cursors too.
    expect(await ids(`/v1/notifications?max_id=${posted[2]}`)).toEqual([]);
    expect(await ids(`/v1/notifications?min_id=${posted[2]}`)).toEqual([notification.id]);
  });

  it("store a remote note dated in the future at its arrival, so that it cannot stay on top", async () => {
    const [writer] = await RemoteActor.crowd("idfuture", 1);
    if (writer === undefined) throw new Error("no writer");
    const before = Date.now();
    const note = writer.note("<p>from the future</p>", {
      tag: [mention],
      published: "2999-01-01T00:00:00Z",
    });
    await accepted(writer, writer.activity("Create", note));
    const [row] = await db().select().from(notes).where(eq(notes.id, note.id));
    expect(row?.published.getTime()).toBeGreaterThanOrEqual(before);
    expect(row?.published.getTime()).toBeLessThanOrEqual(Date.now());
  });
});
