/**
 * What a flush costs the Metrics object's storage in rows written: the Workers Free plan
 * allows Durable Objects 100,000 a day, and every invocation flushes (once, or twice when work
 * left running after its answer counted something). The rows are counted as SQLite counts
 * them (each statement's `rowsWritten`), by the object itself and, here, around it.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FLUSHES, ROWS_WRITTEN } from "../src/metrics/buckets";
import { FREE_PLAN } from "../src/metrics/free-plan";
import { Metrics } from "../src/metrics/metrics-object";
import { Recorder } from "../src/metrics/recorder";

/**
 * Runs `work` with the rows each statement on `sql` writes counted: its `exec` wrapped in
 * place (an object takes the state's own storage), and put back however `work` ends.
 */
async function countingWrites<T>(
  sql: SqlStorage,
  work: (take: () => number) => Promise<T>,
): Promise<T> {
  let rows = 0;
  const exec = sql.exec;
  Object.assign(sql, {
    exec: (query: string, ...bindings: unknown[]) => {
      const cursor = exec.call(sql, query, ...bindings);
      rows += cursor.rowsWritten;
      return cursor;
    },
  });
  try {
    return await work(() => {
      const taken = rows;
      rows = 0;
      return taken;
    });
  } finally {
    delete (sql as { exec?: unknown }).exec;
  }
}

/** An inbox request's counts, as the Worker's recorder makes them. */
function requestCounts(): [string, number][] {
  const r = new Recorder();
  r.inc("activitypub_inbox_activities_total", { type: "Like", result: "accepted" });
  r.observe("activitypub_delivery_duration_seconds", 0.12);
  r.inc("activitypub_actor_cache_total", { result: "hit" });
  r.inc("outpost_d1_round_trips_total", {}, 2);
  r.inc("outpost_d1_queries_total", {}, 4);
  r.inc("outpost_d1_rows_read_total", {}, 5);
  r.inc("outpost_d1_rows_written_total", {}, 4);
  r.inc("outpost_do_calls_total", { method: "changed" });
  return r.entries();
}

/** Noon, UTC: a day's minutes all fall in the same day. */
const NOON = Date.UTC(2026, 11, 3, 12);

describe("a flush to the Metrics object", () => {
  it("writes two rows, its totals and its minute's bucket, however many series it adds", async () => {
    const stub = env.METRICS.get(env.METRICS.idFromName("rows-written"));
    await runInDurableObject(stub, (_instance: Metrics, state) =>
      countingWrites(state.storage.sql, async (take) => {
        const object = new Metrics(state, env);
        take(); // its schema
        const counts: number[] = [];
        for (let i = 0; i < 6; i++) {
          await object.add(requestCounts(), { at: NOON + i * 1000 });
          counts.push(take());
        }
        expect(requestCounts().length).toBeGreaterThan(15);
        // The first also samples the backlog (a D1 read), recorded in two rows of its own.
        expect(counts).toEqual([4, 2, 2, 2, 2, 2]);
        const { counters } = await object.snapshot();
        expect(counters.find((c) => c.key === "outpost_d1_queries_total")?.value).toBeGreaterThan(
          0,
        );
        // The object tells what it wrote in the same rows, the dashboard's free-plan table
        // reads it, and a fresh start reads back what memory held.
        expect(counters).toContainEqual({ key: ROWS_WRITTEN, value: 14 });
        expect(counters).toContainEqual({ key: FLUSHES, value: 6 });
        const { today } = await object.series({ window: "day", at: NOON + 6000 });
        const allowance = FREE_PLAN.find((a) => a.id === "do-rows-written");
        expect(allowance?.used(today)).toBe(14);
        const again = await new Metrics(state, env).snapshot();
        expect(again).toEqual(await object.snapshot());
        expect(again.counters).toContainEqual({
          key: "activitypub_delivery_duration_seconds_count",
          value: 6,
        });
      }),
    );
  });

  it("tells every row it wrote though it leaves memory between flushes, and samples no sooner", async () => {
    const stub = env.METRICS.get(env.METRICS.idFromName("evicted"));
    const now = Date.now();
    for (let i = 0; i < 3; i++) {
      await stub.add([['outpost_do_calls_total{method="hold"}', 1]], { at: now + i * 1000 });
      await evictDurableObject(stub);
    }
    const { counters } = await stub.snapshot();
    // 2 rows a flush, and 2 for the one backlog sample (the first): restarted, the object
    // finds when it last sampled in its buckets.
    expect(counters).toContainEqual({ key: FLUSHES, value: 3 });
    expect(counters).toContainEqual({ key: ROWS_WRITTEN, value: 8 });
  });

  it("skips a count that is not a number, which its totals could not keep", async () => {
    const stub = env.METRICS.get(env.METRICS.idFromName("not-a-number"));
    await runInDurableObject(stub, async (_instance: Metrics, state) => {
      const object = new Metrics(state, env);
      await object.add(
        [
          ["activitypub_kv_writes_total", Number.NaN],
          ['outpost_do_calls_total{method="hold"}', 1],
        ],
        { at: NOON },
      );
      const { counters } = await new Metrics(state, env).snapshot();
      expect(counters.find((c) => c.key === "activitypub_kv_writes_total")).toBeUndefined();
      expect(counters).toContainEqual({ key: 'outpost_do_calls_total{method="hold"}', value: 1 });
    });
  });

  it("folds in what a release rolled back to counted in its old table, losing nothing", async () => {
    const stub = env.METRICS.get(env.METRICS.idFromName("rolled-back"));
    await runInDurableObject(stub, async (_instance: Metrics, state) => {
      const key = "activitypub_kv_writes_total";
      await new Metrics(state, env).add([[key, 10]], { at: NOON });
      // An earlier release counts on in `counters`, from zero (its schema is a subset).
      state.storage.sql.exec(
        "INSERT INTO counters (key, value) VALUES (?, 7) ON CONFLICT (key) DO UPDATE SET value = value + 7",
        key,
      );
      const back = new Metrics(state, env);
      expect((await back.snapshot()).counters).toContainEqual({ key, value: 17 });
      expect(state.storage.sql.exec("SELECT count(*) AS n FROM counters").one().n).toBe(0);
    });
  });
});
