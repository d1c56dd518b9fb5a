/**
 * The Metrics object's time buckets, played out at chosen times (`add`'s clock): flushes
 * land in their minute, a window reads back as evenly spaced points (an hour of minutes, a
 * day of five minutes, a month of hours), minutes older than a day fold into hours and hours
 * older than a month go (at most once a minute), latency percentiles come from the
 * histogram's bucket counts, and the queue backlog is sampled from D1.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BucketStore } from "../src/metrics/bucket-store";
import { DAY_MS, FLUSHES, MINUTE_MS, QUEUE_SIZE } from "../src/metrics/buckets";
import type { Metrics } from "../src/metrics/metrics-object";
import { quantile, quantileSeries } from "../src/metrics/percentiles";
import { Recorder, seriesKey } from "../src/metrics/recorder";
import { deliveryBatches, deliveryFailures } from "../src/storage/schema";
import { db, request } from "./helpers";
import { eventually } from "./support/remote";

/** An object of its own per test: the instance's real flushes go to "global". */
const metrics = (name: string) => env.METRICS.get(env.METRICS.idFromName(`buckets-${name}`));

const T = Date.parse("2026-11-03T12:30:20Z");
const minute = (at: number) => Math.floor(at / MINUTE_MS) * MINUTE_MS;
const delivered = seriesKey("activitypub_deliveries_total", { result: "delivered" });
const parked = seriesKey("activitypub_deliveries_total", { result: "parked" });
const count = (key: string, n: number): [string, number] => [key, n];

async function tables(stub: DurableObjectStub<Metrics>) {
  return runInDurableObject(stub, (_instance: Metrics, state) => {
    const rows = (table: string) =>
      state.storage.sql
        .exec<{ at: number; data: string }>(`SELECT at, data FROM ${table} ORDER BY at`)
        .toArray()
        .map((r) => ({ at: r.at, data: JSON.parse(r.data) as Record<string, number> }));
    return { minutes: rows("minute_buckets"), hours: rows("hour_buckets") };
  });
}

describe("time buckets", () => {
  it("keep a flush's charted counters in its minute, and read back an hour minute by minute", async () => {
    const stub = metrics("minutes");
    await stub.add([count(delivered, 3), count("outpost_d1_queries_total", 9)], {
      at: T - 5 * MINUTE_MS,
    });
    await stub.add([count(delivered, 2)], { at: T - 5 * MINUTE_MS + 30_000 });
    await stub.add(
      [
        count(parked, 4),
        count(
          seriesKey("activitypub_inbox_activities_total", { type: "Follow", result: "accepted" }),
          1,
        ),
        count(
          seriesKey("activitypub_inbox_activities_total", { type: "Like", result: "accepted" }),
          2,
        ),
        count(seriesKey("outpost_queue_messages_sent_total", { type: "deliver" }), 5),
      ],
      { at: T },
    );
    const hour = await stub.series({ window: "hour", at: T });
    expect(hour).toMatchObject({ window: "hour", points: 60, stepMs: MINUTE_MS });
    expect(hour.start + 59 * MINUTE_MS).toBe(minute(T));
    expect(hour.counters[delivered]?.[54]).toBe(5);
    expect(hour.counters[delivered]?.[59]).toBe(0);
    expect(hour.counters[parked]?.[59]).toBe(4);
    // The inbox's counts by answer (types summed), messages by type summed, D1 queries not charted.
    expect(
      hour.counters[seriesKey("activitypub_inbox_activities_total", { result: "accepted" })]?.[59],
    ).toBe(3);
    expect(hour.counters.outpost_queue_messages_sent_total?.[59]).toBe(5);
    expect(hour.counters.outpost_d1_queries_total).toBeUndefined();
    expect(hour.counters[FLUSHES]?.reduce((a, b) => a + b)).toBe(3);
    // The same minutes as five-minute points of the day, and in today's totals.
    const day = await stub.series({ window: "day", at: T });
    expect(day).toMatchObject({ points: 288, stepMs: 5 * MINUTE_MS });
    expect(day.counters[delivered]?.[286]).toBe(5);
    expect(day.counters[parked]?.[287]).toBe(4);
    expect(day.today).toMatchObject({ [delivered]: 5, [parked]: 4, [FLUSHES]: 3 });
    // A window ending earlier does not see what came later.
    const before = await stub.series({ window: "hour", at: T - 10 * MINUTE_MS });
    expect(before.counters[delivered]).toBeUndefined();
  });

  it("fold minutes older than a day into hours, delete hours older than a month, at most once a minute", async () => {
    const stub = metrics("fold");
    await stub.add([count(delivered, 7)], { at: T - 3 * DAY_MS });
    await stub.add([count(delivered, 1)], { at: T - 40 * DAY_MS });
    await stub.add([count(delivered, 2)], { at: T });
    const { minutes, hours } = await tables(stub);
    expect(minutes.map((m) => m.at)).toEqual([minute(T)]);
    expect(hours.map((h) => h.at)).toEqual([Math.floor((T - 3 * DAY_MS) / 3_600_000) * 3_600_000]);
    expect(hours[0]?.data[delivered]).toBe(7);

    const month = await stub.series({ window: "month", at: T });
    expect(month).toMatchObject({ points: 720, stepMs: 3_600_000 });
    expect(month.counters[delivered]?.reduce((a, b) => a + b)).toBe(9);
    expect(month.counters[delivered]?.[719]).toBe(2);
    expect(month.counters[delivered]?.[719 - 72]).toBe(7);
    expect(month.today[delivered]).toBe(2);

    // A minute bucket a day old, written behind the object's back: the next flush within the
    // minute leaves it, the first one a minute later folds it.
    await runInDurableObject(stub, (_instance: Metrics, state) => {
      state.storage.sql.exec(
        "INSERT INTO minute_buckets (at, data) VALUES (?, ?)",
        minute(T - DAY_MS - 5 * MINUTE_MS),
        JSON.stringify({ [delivered]: 11 }),
      );
    });
    await stub.add([count(delivered, 1)], { at: T + 20_000 });
    expect((await tables(stub)).minutes).toHaveLength(2);
    await stub.add([count(delivered, 1)], { at: T + 70_000 });
    const after = await tables(stub);
    expect(after.minutes.map((m) => m.at)).toEqual([minute(T), minute(T + 70_000)]);
    expect(after.hours.map((h) => h.data[delivered])).toEqual([7, 11]);
  });

  it("read a window's minutes once, today's totals from the same rows", async () => {
    const stub = metrics("one-read");
    await stub.add([count(delivered, 3)], { at: T - 20 * MINUTE_MS });
    await stub.add([count(delivered, 4)], { at: T - 12 * 60 * MINUTE_MS });
    await stub.add([count(delivered, 2)], { at: T - 13 * 60 * MINUTE_MS });
    await stub.add([count(delivered, 5)], { at: T });
    await runInDurableObject(stub, (_instance: Metrics, state) => {
      const selects: string[] = [];
      const storage = {
        sql: {
          exec: (query: string, ...bindings: SqlStorageValue[]) => {
            if (query.startsWith("SELECT")) selects.push(query);
            return state.storage.sql.exec(query, ...bindings);
          },
        },
        transactionSync: <R>(closure: () => R): R => state.storage.transactionSync(closure),
      } as unknown as DurableObjectStorage;
      const store = new BucketStore(storage);
      // 12:30 UTC: the day's window starts yesterday, the hour's after midnight.
      for (const window of ["day", "hour", "month"] as const) {
        selects.length = 0;
        const series = store.series(window, T);
        expect(series.today[delivered], window).toBe(12);
        const minuteReads = selects.filter((q) => q.includes("minute_buckets"));
        expect(minuteReads, window).toHaveLength(1);
      }
      expect(store.series("hour", T).counters[delivered]?.reduce((a, b) => a + b)).toBe(8);
      expect(store.series("day", T).counters[delivered]?.reduce((a, b) => a + b)).toBe(14);
    });
  });

  it("give latency percentiles from the histogram's bucket counts", async () => {
    const r = new Recorder();
    for (let i = 0; i < 50; i++) r.observe("activitypub_delivery_duration_seconds", 0.05);
    for (let i = 0; i < 45; i++) r.observe("activitypub_delivery_duration_seconds", 0.3);
    for (let i = 0; i < 5; i++) r.observe("activitypub_delivery_duration_seconds", 3);
    const stub = metrics("latency");
    await stub.add(r.entries(), { at: T });
    const hour = await stub.series({ window: "hour", at: T });
    const at = (q: number) =>
      quantileSeries(hour.counters, {
        name: "activitypub_delivery_duration_seconds",
        points: hour.points,
        q,
      });
    expect(at(0.5)[59]).toBeCloseTo(0.1);
    expect(at(0.95)[59]).toBeCloseTo(0.5);
    expect(at(0.99)[59]).toBeCloseTo(4.4);
    // Nothing observed: no percentile.
    expect(at(0.5)[58]).toBeNull();
  });

  it("sample the queue backlog from D1 beside the counts", async () => {
    const now = new Date();
    await db()
      .insert(deliveryBatches)
      .values({
        id: "b1",
        activityId: "a1",
        hosts: ["x.test", "y.test", "z.test"],
        state: "pending",
        createdAt: now,
      });
    await db()
      .insert(deliveryFailures)
      .values({
        activityId: "a1",
        host: "w.test",
        state: "parked",
        inboxes: ["https://w.test/inbox"],
        attempts: 1,
        updatedAt: now,
      });
    const stub = metrics("backlog");
    await stub.add([count(delivered, 1)], { at: T });
    const hour = await stub.series({ window: "hour", at: T });
    expect(hour.gauges[QUEUE_SIZE]?.[59]).toBe(4);
    expect(hour.gauges[QUEUE_SIZE]?.[58]).toBeNull();
    // Not again within five minutes: the sample stands.
    await db().delete(deliveryFailures);
    await stub.add([count(delivered, 1)], { at: T + MINUTE_MS });
    expect(
      (await stub.series({ window: "hour", at: T + MINUTE_MS })).gauges[QUEUE_SIZE]?.[59],
    ).toBeNull();
  });

  it("are written by the instance's own flushes", async () => {
    const res = await request("/metrics", {
      headers: { Authorization: "Bearer test-owner-token" },
    });
    expect(res.status).toBe(200);
    const global = env.METRICS.get(env.METRICS.idFromName("global"));
    const series = await eventually(async () => {
      const s = await global.series({ window: "hour" });
      return (s.today[FLUSHES] ?? 0) > 0 && (s.today.outpost_d1_rows_read_total ?? 0) > 0 && s;
    });
    expect(series.counters[FLUSHES]?.at(-1)).toBeGreaterThan(0);
  });
});

describe("quantile", () => {
  const buckets = (counts: number[]) =>
    [0.1, 0.5, 1, 2, 5, 10, Number.POSITIVE_INFINITY].map((le, i) => ({
      le,
      count: counts[i] ?? 0,
    }));

  it("interpolates within a bucket, from 0 below the first", () => {
    expect(quantile(0.5, buckets([0, 10, 10, 10, 10, 10, 10]))).toBeCloseTo(0.3);
    expect(quantile(0.5, buckets([10, 10, 10, 10, 10, 10, 10]))).toBeCloseTo(0.05);
  });

  it("answers the highest finite bound for +Inf, and null for nothing", () => {
    expect(quantile(0.99, buckets([0, 0, 0, 0, 0, 0, 4]))).toBe(10);
    expect(quantile(0.5, buckets([0, 0, 0, 0, 0, 0, 0]))).toBeNull();
  });
});
