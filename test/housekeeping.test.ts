/**
 * The cron's housekeeping: idempotency keys expire after a day, actors D1 no longer needs
 * after 30 days, a bounded batch at a time; unsent fan-outs and overdue retries are sent.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { count, eq, like } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { AWAITING_ANSWER, OBJECT_UNREACHABLE } from "../src/federation/delivery/policy";
import { expireIdempotencyKeys, STALE_ACTOR_MS } from "../src/federation/housekeeping";
import type { HostState } from "../src/hosts/host-state";
import {
  actors,
  deliveryFailures,
  idempotencyKeys,
  noteTags,
  notifications,
  reactions,
} from "../src/storage/schema";
import { api, db, OWNER, runCron, seedFollow, seedNote } from "./helpers";
import { hostState, posts, seqOf, storedActivity } from "./support/delivery";
import { deliveriesAt, eventually, serve } from "./support/remote";

const HOUR = 3600_000;

/** Posts a status with an `Idempotency-Key`; its id. */
async function postWithKey(key: string, status = `posted with ${key}`): Promise<string> {
  const res = await api("/v1/statuses", { body: { status }, headers: { "Idempotency-Key": key } });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

/** Makes a key look recorded `ms` ago. */
async function age(key: string, ms: number): Promise<void> {
  await db()
    .update(idempotencyKeys)
    .set({ createdAt: new Date(Date.now() - ms) })
    .where(eq(idempotencyKeys.key, key));
}

async function keys(): Promise<string[]> {
  const rows = await db().select({ key: idempotencyKeys.key }).from(idempotencyKeys);
  return rows.map((r) => r.key).sort();
}

describe("idempotency keys", () => {
  it("expire at the cron once older than a day; younger ones stay", async () => {
    await postWithKey("day-old");
    await postWithKey("nearly-day-old");
    await postWithKey("fresh");
    await age("day-old", 24 * HOUR + 60_000);
    await age("nearly-day-old", 23 * HOUR);
    await runCron();
    expect(await keys()).toEqual(["fresh", "nearly-day-old"]);
  });

  it("once expired, no longer return the old post: the same key posts anew", async () => {
    const first = await postWithKey("retried", "hello");
    const kept = await postWithKey("kept", "hello again");
    await age("retried", 25 * HOUR);
    await age("kept", HOUR);
    await runCron();
    const second = await postWithKey("retried", "hello");
    expect(second).not.toBe(first);
    // Both posts exist: the retry made a new one.
    for (const id of [first, second]) {
      const res = await api(`/v1/statuses/${id}`);
      expect(res.status).toBe(200);
    }
    // A key still kept returns its post, as before.
    expect(await postWithKey("kept", "hello again")).toBe(kept);
  });

  it("expire at most 1,000 a run; what is left goes at the next", async () => {
    await expireIdempotencyKeys({ db: db(), now: () => new Date() });
    const { seq } = await seedNote();
    const old = Date.now() - 2 * 24 * HOUR;
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO idempotency_keys (key, note_seq, created_at) SELECT 'bulk-' || i, ?, ? FROM n`,
    )
      .bind(1050, seq, old)
      .run();
    const bulk = async () =>
      (
        await db()
          .select({ n: count() })
          .from(idempotencyKeys)
          .where(like(idempotencyKeys.key, "bulk-%"))
      )[0]?.n;
    expect(await bulk()).toBe(1050);
    expect(await expireIdempotencyKeys({ db: db(), now: () => new Date() })).toBe(1000);
    expect(await bulk()).toBe(50);
    await runCron();
    expect(await bulk()).toBe(0);
    expect(await expireIdempotencyKeys({ db: db(), now: () => new Date() })).toBe(0);
    // Younger keys were never part of it.
    expect(await keys()).toEqual(expect.arrayContaining(["fresh", "kept"]));
  });
});

describe("actors D1 no longer needs", () => {
  const actorRow = (name: string, fetchedAt: Date) => ({
    id: `https://stale.test/users/${name}`,
    type: "Person",
    preferredUsername: name,
    domain: "stale.test",
    inbox: `https://stale.test/users/${name}/inbox`,
    fetchedAt,
  });

  it("go after 30 days without a fetch, unless a follow, note, reaction, notification or mention holds them", async () => {
    // The README's "30 days", not the constant: changing it must show here.
    expect(STALE_ACTOR_MS).toBe(30 * 24 * HOUR);
    const old = new Date(Date.now() - STALE_ACTOR_MS - HOUR);
    const names = ["idle", "fresh", "follower", "author", "liker", "notifier", "mentioned"];
    const rows = names.map((n) => actorRow(n, n === "fresh" ? new Date() : old));
    await db().insert(actors).values(rows);
    const id = (name: string) => `https://stale.test/users/${name}`;
    await seedFollow(OWNER, id("follower"));
    await seedNote({ attributedTo: id("author") });
    await db()
      .insert(reactions)
      .values({
        id: "https://stale.test/likes/1",
        type: "Like",
        actor: id("liker"),
        object: `${OWNER}/statuses/1`,
        createdAt: new Date(),
      });
    await db()
      .insert(notifications)
      .values({ type: "follow", account: id("notifier"), createdAt: new Date() });
    const { seq } = await seedNote({});
    await db()
      .insert(noteTags)
      .values({ noteSeq: seq, type: "Mention", name: "m", href: id("mentioned") });

    // Through the cron trigger, as deployed.
    await runCron();
    const left = await db()
      .select({ id: actors.id })
      .from(actors)
      .where(like(actors.id, "https://stale.test/%"));
    expect(left.map((r) => r.id).sort()).toEqual(
      names
        .filter((n) => n !== "idle")
        .map(id)
        .sort(),
    );
  });
});

describe("unsent fan-outs", () => {
  it("a full sweep of 100 is queued and marked (D1 binds at most 100 parameters a statement)", async () => {
    const old = Date.now() - 3600_000;
    const statements = Array.from({ length: 100 }, (_, i) =>
      env.DB.prepare(
        "insert into outbox (id, actor, type, object_id, visibility, payload, published) values (?, ?, 'Update', ?, 'public', ?, ?)",
      ).bind(
        `${OWNER}/unsent/${i}`,
        OWNER,
        OWNER,
        JSON.stringify({ type: "Update", actor: OWNER, to: [] }),
        old,
      ),
    );
    await env.DB.batch(statements);
    await runCron();
    const left = await env.DB.prepare(
      "select count(*) as n from outbox where fanned_out_at is null",
    ).first<{ n: number }>();
    expect(left?.n).toBe(0);
  });
});

describe("overdue retries", () => {
  it("go through the queue again only when no host's object has them (never handed over, or let go of by the consumer with no end recorded); an object holding its own is woken, so nothing goes twice", {
    timeout: 20_000,
  }, async () => {
    const lostInbox = "https://lost.sweep.test/inbox";
    const lateInbox = "https://late.sweep.test/inbox";
    const heldInbox = "https://held.sweep.test/inbox";
    await serve(
      { url: lostInbox, status: 202, body: {} },
      { url: lateInbox, status: 202, body: {} },
      { url: heldInbox, status: 202, body: {} },
    );
    const activityId = await storedActivity();
    const activitySeq = await seqOf(activityId);
    // The held host's object has the delivery, but no alarm (as after one the platform gave up).
    const stub = hostState("held.sweep.test");
    await runInDurableObject(stub, async (_instance: HostState, state) => {
      state.storage.sql.exec("UPDATE state SET host = 'held.sweep.test' WHERE k = 1");
      state.storage.sql.exec(
        "INSERT INTO parked (activity_id, inbox, parked_at, activity_seq) VALUES (?, ?, ?, ?)",
        activityId,
        heldInbox,
        Date.now(),
        activitySeq,
      );
      await state.storage.deleteAlarm();
    });
    const overdue = new Date(Date.now() - HOUR);
    const record = {
      activityId,
      state: "retrying" as const,
      attempts: 1,
      nextAttemptAt: overdue,
      updatedAt: overdue,
    };
    await db()
      .insert(deliveryFailures)
      .values([
        { ...record, host: "lost.sweep.test", inboxes: [lostInbox], lastError: OBJECT_UNREACHABLE },
        { ...record, host: "late.sweep.test", inboxes: [lateInbox], lastError: AWAITING_ANSWER },
        { ...record, host: "held.sweep.test", inboxes: [heldInbox], lastError: "HTTP 500" },
      ]);
    await runCron();
    await eventually(async () => (await deliveriesAt(lostInbox)).length === 1);
    await eventually(async () => (await deliveriesAt(lateInbox)).length === 1);
    await eventually(async () => (await hostState("held.sweep.test").status()).parked === 0);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await posts(heldInbox)).toHaveLength(1);
    expect(await deliveriesAt(lostInbox)).toHaveLength(1);
    expect(await deliveriesAt(lateInbox)).toHaveLength(1);
  });
});
