/**
 * What making a change's events reads (issue 19: an inbox POST with sockets open must not
 * cost more than a few milliseconds more): one D1 round trip for a notification, a new note
 * or a delete, whatever they are (a second only for what the first cannot tell: a filter's
 * rules where one is in force, a boost's place in the home), the events still the entities
 * the REST API answers with;
 * the notifications read those of the activity, by its account, in its millisecond; and the
 * queries' plans walk indexes, never a table.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { readBatched } from "../src/storage/batched";
import { createDb } from "../src/storage/db";
import { notes, notifications } from "../src/storage/schema";
import { writtenNotificationsRead, writtenStatusesRead } from "../src/storage/streamed";
import type { StreamChange } from "../src/streaming/changes";
import { streamEvents } from "../src/streaming/events";
import { api, appContext, db, OWNER, plansOf, seedFollow } from "./helpers";
import { countingD1 } from "./support/d1-calls";
import { RemoteActor } from "./support/remote";
import { json, seedActor, seedPost } from "./support/sorting";

/** The events of `changes` as the streaming object makes them, and the D1 calls it took. */
async function made(changes: StreamChange[]) {
  const { d1, calls } = countingD1();
  const events = await streamEvents({ ...appContext(), db: createDb(d1) }, changes);
  return { events, trips: calls() };
}

const post = (body: Record<string, unknown>) =>
  json<{ id: string; uri: string }>(api("/v1/statuses", { body }));

/** When the notifications of `account` were written (the activity's millisecond). */
async function notifiedAt(account: string): Promise<Date> {
  const [row] = await db()
    .select({ at: notifications.createdAt })
    .from(notifications)
    .where(eq(notifications.account, account));
  if (row === undefined) throw new Error("no notification");
  return row.at;
}

describe("the reads of a change's events", () => {
  it("makes a Like's notification in one round trip, as /api/v1/notifications lists it", async () => {
    const posted = await post({ status: "read once", visibility: "public" });
    const liker = await RemoteActor.create({ host: "reads.stream.test" });
    expect((await liker.send(liker.like(posted.uri))).status).toBe(202);
    const at = await notifiedAt(liker.id);
    const { events, trips } = await made([{ kind: "notifications", account: liker.id, at }]);
    expect(trips).toBe(1);
    expect(events.map((e) => [e.event, e.streams])).toEqual([
      ["notification", ["user", "user:notification"]],
    ]);
    const [listed] = await json<unknown[]>(api("/v1/notifications?limit=1"));
    expect(JSON.parse(events[0]?.payload ?? "")).toEqual(listed);
  });

  it("reads the activity's notifications, not the others written in its millisecond", async () => {
    const posted = await post({ status: "liked by many at once", visibility: "public" });
    const at = new Date();
    const accounts = await Promise.all(
      Array.from({ length: 7 }, async (_, n) => (await seedActor(`same-ms-${n}`)).row.id),
    );
    // The first's is the oldest of the millisecond: six newer ones come after it.
    for (const account of accounts) {
      await db()
        .insert(notifications)
        .values({ type: "favourite", account, target: posted.uri, createdAt: at });
    }
    const [first] = accounts;
    const { events, trips } = await made([{ kind: "notifications", account: first ?? "", at }]);
    expect(trips).toBe(1);
    expect(
      events.map((e) => (JSON.parse(e.payload) as { account: { url: string } }).account),
    ).toEqual([expect.objectContaining({ url: expect.stringContaining("same-ms-0") })]);
  });

  it("makes a new note's events in one round trip, and reads a filter's rules only when one is in force", async () => {
    const posted = await post({ status: "a note for the streams", visibility: "public" });
    const change: StreamChange = { kind: "note", id: posted.uri };
    const plain = await made([change]);
    expect(plain.trips).toBe(1);
    expect(plain.events.map((e) => e.event)).toEqual(["update", "update"]);
    const [home, shown] = plain.events;
    expect(home?.streams).toEqual(["user"]);
    expect(shown?.streams).toContain("public:local");
    // As the home timeline shows it (its filters applied: `filtered`).
    const [status] = await json<unknown[]>(api("/v1/timelines/home?limit=1"));
    expect(JSON.parse(home?.payload ?? "")).toEqual(status);

    const filter = await json<{ id: string }>(
      api("/v2/filters", {
        body: {
          title: "elsewhere",
          context: ["home"],
          filter_action: "warn",
          keywords_attributes: [{ keyword: "unrelated" }],
        },
      }),
    );
    const filtered = await made([change]);
    expect(filtered.trips).toBe(2);
    expect(filtered.events.map((e) => e.payload)).toEqual(plain.events.map((e) => e.payload));
    await json(api(`/v2/filters/${filter.id}`, { method: "DELETE" }));
  });

  it("makes a followed account's boost in two: the boost, then its place in the home", async () => {
    const booster = await RemoteActor.create({ host: "booster.reads.stream.test" });
    await seedFollow(booster.id, OWNER);
    const stranger = (await seedActor("boosted-stranger")).row.id;
    const { id: boosted, statusId } = await seedPost(stranger);
    const boost = booster.boost(boosted);
    expect((await booster.send(boost)).status).toBe(202);
    const { events, trips } = await made([{ kind: "boost", activity: boost.id }]);
    expect(trips).toBe(2);
    expect(events.map((e) => [e.event, e.streams])).toEqual([["update", ["user"]]]);
    const [home] = await json<unknown[]>(api("/v1/timelines/home?limit=1"));
    expect(JSON.parse(events[0]?.payload ?? "")).toEqual(home);
    expect((home as { reblog: { id: string } }).reblog.id).toBe(statusId);
  });

  it("makes a delete, a notification and a note of one call in one round trip", async () => {
    const gone = await post({ status: "to be deleted", visibility: "public" });
    await json(api(`/v1/statuses/${gone.id}`, { method: "DELETE" }));
    const [tombstone] = await db().select().from(notes).where(eq(notes.id, gone.uri));
    const deletedAt = tombstone?.deletedAt ?? new Date();
    const fresh = await post({ status: "beside a delete", visibility: "public" });
    const { events, trips } = await made([
      { kind: "delete", id: gone.uri, at: deletedAt },
      { kind: "note", id: fresh.uri },
      { kind: "filters" },
    ]);
    expect(trips).toBe(1);
    expect(events.map((e) => e.event)).toEqual(["delete", "update", "update", "filters_changed"]);
    expect(events[0]?.payload).toBe(gone.id);
  });
});

describe("the notifications' query plans", () => {
  it("finds an activity's notifications by their ids' range, and the statuses by their ids", async () => {
    const written = { account: "https://remote.test/users/a", at: new Date(), limit: 5 };
    const [notified = [], statuses = []] = await plansOf(async (d) => {
      await readBatched(d, [
        writtenNotificationsRead(d, { ...written, now: new Date() }),
        writtenStatusesRead(d, { ...written, owner: OWNER }),
      ]);
    });
    for (const plan of [notified, statuses]) {
      const detail = plan.join("\n");
      expect(detail).toMatch(
        /SEARCH notifications USING INDEX notifications_api_id_idx \(<expr>>\? AND <expr><\?\)/,
      );
      // No table walked whole, and no account's notifications read through its index.
      expect(detail).not.toMatch(/^SCAN (notifications|notes|actors)\b/m);
      expect(detail).not.toMatch(/notifications_once_unique/);
    }
    expect(statuses.join("\n")).toMatch(/SEARCH notes USING INDEX notes_id_unique \(id=\?\)/);
  });
});
