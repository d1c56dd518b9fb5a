/**
 * The kept group heads (`group_size`, `group_newest` on a group's newest notification, kept by
 * SQLite triggers): equal to a recount of every group through every way the rows change, in
 * or out of order, one row or many at once; what is about a note going with it; and the
 * newest page of groups, read from the heads, answering as a walk from a cursor does.
 */
import { and, eq, inArray, isNotNull } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { notificationId } from "../src/mastodon/ids";
import { GROUPABLE_TYPES, STATUS_TYPES } from "../src/storage/notifications";
import { type NotificationRow, notes, notifications } from "../src/storage/schema";
import { api, db, seedNote } from "./helpers";
import type { Grouped } from "./support/notifications";
import { accepted, RemoteActor } from "./support/remote";

const account = (n: number) => `https://grouped.test/users/u${n}`;

/** Notifications of one group, `at` milliseconds apart from `start`, in one statement. */
async function insertGroup(input: {
  groupKey: string;
  accounts: readonly number[];
  start: number;
  type?: NotificationRow["type"];
  target?: string;
}) {
  await db()
    .insert(notifications)
    .values(
      input.accounts.map((n, i) => ({
        type: input.type ?? "follow",
        account: account(n),
        target: input.target ?? "",
        groupKey: input.groupKey,
        createdAt: new Date(input.start + i * 1000),
      })),
    );
}

const byIdDesc = (a: { id: bigint }, b: { id: bigint }) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** Every group's head holds what a recount says; every other row, nothing. */
async function expectHeadsRecounted(): Promise<number> {
  const rows = (await db().select().from(notifications)).map((row) => ({
    ...row,
    id: BigInt(notificationId(row)),
  }));
  const groups = Map.groupBy(
    rows.filter((r) => r.groupKey !== null),
    (r) => r.groupKey,
  );
  for (const [key, members] of groups) {
    const [head, ...others] = [...members].sort(byIdDesc);
    expect(head?.groupSize, key ?? "").toBe(members.length);
    const newest = [...(head?.groupNewest ?? [])].sort(([a], [b]) =>
      BigInt(a) < BigInt(b) ? 1 : -1,
    );
    expect(newest, key ?? "").toEqual(
      [head, ...others].slice(0, 8).map((m) => [String(m?.id), m?.account]),
    );
    for (const other of others) expect([other.groupSize, other.groupNewest]).toEqual([null, null]);
  }
  for (const row of rows.filter((r) => r.groupKey === null)) {
    expect([row.groupSize, row.groupNewest]).toEqual([null, null]);
  }
  return groups.size;
}

const start = Date.parse("2026-06-01T10:00:00Z");

describe("a group's kept head", () => {
  it("is its newest, holding its size and newest eight, as notifications come in order, out of order and many at once", async () => {
    await insertGroup({ groupKey: "follow-a", accounts: [1], start });
    await expectHeadsRecounted();
    await insertGroup({
      groupKey: "follow-a",
      accounts: [2, 3, 4, 5, 6, 7, 8, 9, 10],
      start: start + 10_000,
    });
    await expectHeadsRecounted();
    // Older than all: it counts, and is not among the newest eight.
    await insertGroup({ groupKey: "follow-a", accounts: [11], start: start - 60_000 });
    // Older than the head, among the newest eight.
    await insertGroup({ groupKey: "follow-a", accounts: [12], start: start + 17_500 });
    // Another group, and an ungrouped one, alongside.
    await insertGroup({ groupKey: "follow-b", accounts: [14, 15], start: start + 5000 });
    await db()
      .insert(notifications)
      .values({ type: "follow_request", account: account(13), createdAt: new Date(start) });
    expect(await expectHeadsRecounted()).toBe(2);
    const [head] = await db()
      .select()
      .from(notifications)
      .where(and(eq(notifications.groupKey, "follow-a"), isNotNull(notifications.groupSize)));
    expect(head?.groupSize).toBe(12);
  });

  it("moves to the newest left, counting one fewer, as notifications go: the head, others, several at once, all", async () => {
    await insertGroup({
      groupKey: "follow-c",
      accounts: [20, 21, 22, 23, 24, 25, 26, 27, 28, 29],
      start,
    });
    const members = () =>
      db()
        .select()
        .from(notifications)
        .where(eq(notifications.groupKey, "follow-c"))
        .orderBy(notifications.createdAt);
    const gone = async (accounts: number[]) => {
      await db()
        .delete(notifications)
        .where(inArray(notifications.account, accounts.map(account)));
      await expectHeadsRecounted();
    };
    await gone([29]); // the head
    await gone([22]); // one of the newest eight
    await gone([20]); // the oldest
    await gone([21, 26, 28]); // the head among several
    expect((await members()).map((m) => m.groupSize)).toEqual([null, null, null, 4]);
    await gone([23, 24, 25, 27]);
    expect(await members()).toEqual([]);
  });

  it("follows a notification moved to another group or time", async () => {
    await insertGroup({ groupKey: "follow-d", accounts: [40, 41, 42], start });
    await insertGroup({ groupKey: "follow-e", accounts: [43], start });
    await db()
      .update(notifications)
      .set({ groupKey: "follow-e" })
      .where(eq(notifications.account, account(42)));
    await expectHeadsRecounted();
    await db()
      .update(notifications)
      .set({ createdAt: new Date(start + 3_600_000) })
      .where(eq(notifications.account, account(40)));
    await expectHeadsRecounted();
    await db()
      .update(notifications)
      .set({ groupKey: null })
      .where(eq(notifications.account, account(41)));
    await expectHeadsRecounted();
  });
});

describe("what is about a note", () => {
  it("goes with the note when it becomes a tombstone or is deleted, its groups counted again", async () => {
    const [kept, tombstoned, deleted] = [await seedNote(), await seedNote(), await seedNote()];
    for (const note of [kept, tombstoned, deleted]) {
      for (const [i, type] of STATUS_TYPES.entries()) {
        await db()
          .insert(notifications)
          .values({
            type,
            account: account(60 + i),
            target: note.id,
            groupKey: GROUPABLE_TYPES.includes(type) ? `${type}-${note.seq}-1` : null,
            createdAt: new Date(start + i),
          });
        if (GROUPABLE_TYPES.includes(type)) {
          await insertGroup({
            groupKey: `${type}-${note.seq}-1`,
            type,
            accounts: [70 + i],
            start: start + 100,
            target: note.id,
          });
        }
      }
    }
    await insertGroup({ groupKey: "follow-f", accounts: [80], start });
    const about = async (id: string) =>
      (await db().select().from(notifications).where(eq(notifications.target, id))).length;
    // Each type about a note: one, and one more in each group.
    const each =
      STATUS_TYPES.length + STATUS_TYPES.filter((t) => GROUPABLE_TYPES.includes(t)).length;
    expect(await about(tombstoned.id)).toBe(each);
    await db().update(notes).set({ deletedAt: new Date() }).where(eq(notes.id, tombstoned.id));
    await db().delete(notes).where(eq(notes.id, deleted.id));
    expect([await about(kept.id), await about(tombstoned.id), await about(deleted.id)]).toEqual([
      each,
      0,
      0,
    ]);
    expect(
      await db().select().from(notifications).where(eq(notifications.groupKey, "follow-f")),
    ).toHaveLength(1);
    await expectHeadsRecounted();
  });
});

describe("the newest page of groups", () => {
  it("answers as a walk from a cursor above it does, counts, samples and bounds alike", async () => {
    const [many, few, one] = [await seedNote(), await seedNote(), await seedNote()];
    const fans = await RemoteActor.crowd("headfan", 11);
    // Groups of more than eight, of a few, of one; boosts of a note beside its likes.
    for (const [i, fan] of fans.entries()) {
      await accepted(fan, fan.like(many.id));
      if (i < 3) await accepted(fan, fan.like(few.id));
      if (i === 5) await accepted(fan, fan.like(one.id));
      if (i < 2) await accepted(fan, fan.boost(one.id));
    }
    const read = async (query: string) => {
      const res = await api(`/v2/notifications?${query}`);
      expect(res.status).toBe(200);
      return (await res.json()) as Grouped;
    };
    for (const limit of [1, 2, 3, 40]) {
      const types = "types[]=favourite&types[]=reblog";
      const heads = await read(`limit=${limit}&${types}`);
      const walked = await read(`limit=${limit}&${types}&max_id=9223372036854775807`);
      expect(heads).toEqual(walked);
      expect(heads.notification_groups.length).toBe(Math.min(limit, 4));
    }
    const groups = (await read("limit=40&types[]=favourite")).notification_groups;
    const ofMany = groups.find((g) => g.group_key.startsWith(`favourite-${many.seq}-`));
    expect(ofMany?.notifications_count).toBe(11);
    expect(ofMany?.sample_account_ids).toHaveLength(8);
    await expectHeadsRecounted();
  });
});
