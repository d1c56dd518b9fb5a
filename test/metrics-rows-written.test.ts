/**
 * What a flush costs the Metrics object's storage in rows written: the Workers Free plan
 * allows Durable Objects 100,000 a day, and every invocation flushes once.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FLUSHES } from "../src/metrics/buckets";
import { FREE_PLAN, ROWS_PER_FLUSH } from "../src/metrics/free-plan";
import { Metrics } from "../src/metrics/metrics-object";

/**
 * Counts the rows the object's statements write: its SQL's `exec` is wrapped in place (the
 * object takes the state's own storage), each cursor kept to read its `rowsWritten` once
 * the statement is done.
 */
function countWrites(sql: SqlStorage) {
  const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  const exec = sql.exec.bind(sql);
  Object.assign(sql, {
    exec: (query: string, ...bindings: unknown[]) => {
      const cursor = exec(query, ...bindings);
      cursors.push(cursor);
      return cursor;
    },
  });
  return {
    /** Rows written since the last call. */
    take(): number {
      const rows = cursors.reduce((n, cursor) => n + cursor.rowsWritten, 0);
      cursors.length = 0;
      return rows;
    },
    restore: () => Object.assign(sql, { exec }),
  };
}

/** A request's counts: a counter and a histogram (its buckets, sum and count) among others. */
const requestCounts = (i: number): [string, number][] => [
  ['activitypub_inbox_activities_total{result="accepted",type="Like"}', 1],
  ...[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, "+Inf"].map(
    (le): [string, number] => [`outpost_request_duration_seconds_bucket{le="${le}"}`, 1],
  ),
  ["outpost_request_duration_seconds_sum", 0.02],
  ["outpost_request_duration_seconds_count", 1],
  ['outpost_d1_rows_read_total{query="inbox"}', 5 + i],
  ['outpost_d1_rows_written_total{query="inbox"}', 4],
  ['outpost_do_calls_total{method:"changed"}', 1],
];

describe("a flush to the Metrics object", () => {
  it("writes two rows, the totals and the minute's bucket, whatever the series it adds", async () => {
    const stub = env.METRICS.get(env.METRICS.idFromName("rows-written"));
    await runInDurableObject(stub, async (_instance: Metrics, state) => {
      const writes = countWrites(state.storage.sql);
      const object = new Metrics(state, env);
      const at = Date.now();
      // The first flush also samples the backlog and may prune: counted apart.
      await object.add(requestCounts(0), { at });
      writes.take();
      const counts = [];
      for (let i = 1; i <= 5; i++) {
        await object.add(requestCounts(i), { at: at + i * 1000 });
        counts.push(writes.take());
      }
      writes.restore();
      expect(requestCounts(0).length).toBeGreaterThan(15);
      // What the dashboard's free-plan table counts for them is what they wrote.
      expect(ROWS_PER_FLUSH).toBe(2);
      expect(counts).toEqual([2, 2, 2, 2, 2]);
      const allowance = FREE_PLAN.find((a) => a.id === "do-rows-written");
      const { today } = await object.series({ window: "day", at: at + 5000 });
      expect(today[FLUSHES]).toBe(6);
      expect(allowance?.used({ [FLUSHES]: counts.length })).toBe(counts.reduce((a, b) => a + b));
      const { counters } = await object.snapshot();
      expect(counters).toContainEqual({
        key: "outpost_request_duration_seconds_count",
        value: 6,
      });
      expect(counters).toContainEqual({
        key: 'outpost_d1_rows_read_total{query="inbox"}',
        value: 45,
      });
    });
  });
});
