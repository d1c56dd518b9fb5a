/**
 * The instance's counters, in one Durable Object (`idFromName("global")`): invocations add
 * what they counted, once each; `/metrics` reads the totals, and the owner's dashboard the
 * same counters in time buckets (`bucket-store.ts`: per minute for a day, per hour for a
 * month), with the queue backlog sampled beside them.
 */
import { DurableObject } from "cloudflare:workers";
import { type Migration, migrate } from "../lib/do-migrations";
import { readBacklog } from "../storage/dashboard";
import { createDb } from "../storage/db";
import { BUCKET_TABLES, BucketStore } from "./bucket-store";
import {
  bucketEntries,
  FLUSHES,
  QUEUE_SIZE,
  SAMPLE_EVERY_MS,
  type Series,
  type Window,
} from "./buckets";
import { recording } from "./recorder";

/** The object's SQLite schema, as numbered steps (`lib/do-migrations.ts`); append only. */
const METRICS_MIGRATIONS: readonly Migration[] = [
  // 1. Counters by series key (`name{labels}`).
  (sql) =>
    sql.exec("CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value REAL NOT NULL)"),
  // 2. The dashboard's time buckets: a row per minute, a row per hour.
  BUCKET_TABLES,
  // 3. The totals as one row, from the counters' rows. A flush then writes one row of totals,
  //    not one a series: the Workers Free plan allows Durable Objects 100,000 rows written a
  //    day, and a request's flush touches tens of series (a histogram's buckets). `counters`
  //    stays, unread, for a release rolled back to (steps never take away).
  (sql) => {
    sql.exec(
      "CREATE TABLE IF NOT EXISTS totals (k INTEGER PRIMARY KEY CHECK (k = 1), data TEXT NOT NULL)",
    );
    sql.exec(
      "INSERT INTO totals (k, data) SELECT 1, json_group_object(key, value) FROM counters WHERE true ON CONFLICT (k) DO NOTHING",
    );
  },
];

export interface MetricsSnapshot {
  /** Every series (`name{labels}`) with its value. */
  readonly counters: readonly { readonly key: string; readonly value: number }[];
}

export interface AddOptions {
  /** When the counts were made (ms); now by default. Tests set it to play out a day. */
  readonly at?: number;
}

export class Metrics extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly buckets: BucketStore;
  /** When the backlog was last sampled (memory: after a restart, sampled at the next flush). */
  private sampledAt: number | undefined;
  /** The totals as `totals` holds them, read once (this object alone writes them). */
  private totals: ReadonlyMap<string, number> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrate(ctx.storage, METRICS_MIGRATIONS);
    this.buckets = new BucketStore(ctx.storage);
  }

  async add(entries: readonly [string, number][], options: AddOptions = {}): Promise<void> {
    const at = options.at ?? Date.now();
    // The flush itself, counted: a Durable Object request, and two rows written here.
    this.total([...entries, [FLUSHES, 1]]);
    this.buckets.add([...bucketEntries(entries), [FLUSHES, 1]], at);
    this.buckets.prune(at);
    if (this.sampledAt === undefined || Math.abs(at - this.sampledAt) >= SAMPLE_EVERY_MS) {
      this.sampledAt = at;
      await this.sampleBacklog(at);
    }
  }

  async snapshot(): Promise<MetricsSnapshot> {
    const counters = [...this.readTotals()]
      .map(([key, value]) => ({ key, value }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { counters };
  }

  /** A window's points (the dashboard's charts), ending at `at` (now by default). */
  async series(query: { window: Window; at?: number }): Promise<Series> {
    return this.buckets.series(query.window, query.at ?? Date.now());
  }

  private readTotals(): ReadonlyMap<string, number> {
    if (this.totals === undefined) {
      const [row] = this.sql
        .exec<{ data: string }>("SELECT data FROM totals WHERE k = 1")
        .toArray();
      const stored: Record<string, number> = row === undefined ? {} : JSON.parse(row.data);
      this.totals = new Map(Object.entries(stored));
    }
    return this.totals;
  }

  /**
   * Adds counts to the totals (`/metrics`), written as one row: one row written a flush,
   * whatever the number of series. Kept in memory once written, so a failed write leaves
   * the totals as stored.
   */
  private total(entries: readonly (readonly [string, number])[]): void {
    if (entries.length === 0) return;
    const next = new Map(this.readTotals());
    for (const [key, value] of entries) next.set(key, (next.get(key) ?? 0) + value);
    this.sql.exec(
      "INSERT INTO totals (k, data) VALUES (1, ?) ON CONFLICT (k) DO UPDATE SET data = excluded.data",
      JSON.stringify(Object.fromEntries(next)),
    );
    this.totals = next;
  }

  /**
   * The queue backlog, read from D1 (a capped count), as a sample in the minute's bucket; the
   * rows the read cost are counted here (this object cannot flush to itself).
   */
  private async sampleBacklog(at: number): Promise<void> {
    try {
      const { result, recorder } = await recording(() => readBacklog(createDb(this.env.DB)));
      const used = recorder.entries();
      this.total(used);
      this.buckets.add([...bucketEntries(used), [QUEUE_SIZE, result]], at);
    } catch (error) {
      console.warn(
        `metrics: backlog not sampled: ${error instanceof Error ? error.message : error}`,
      );
    }
  }
}
