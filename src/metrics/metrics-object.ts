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
import { BUCKET_TABLES, type BucketStorage, BucketStore } from "./bucket-store";
import {
  bucketEntries,
  FLUSHES,
  QUEUE_SIZE,
  ROWS_WRITTEN,
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
  // 3. The totals as one row. A flush writes one row of totals, not one a series: the Workers
  //    Free plan allows Durable Objects 100,000 rows written a day, and each flush adds tens
  //    of series (a latency observation alone is nine). `counters` stays: what it holds (this
  //    object's totals until now, or a release rolled back to counting there) is folded into
  //    the row each time the object starts (`foldCounters`).
  (sql) => {
    sql.exec(
      "CREATE TABLE IF NOT EXISTS totals (k INTEGER PRIMARY KEY CHECK (k = 1), data TEXT NOT NULL)",
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

/** What `record` writes: counts, the object's own counts, and gauges for the minute's bucket. */
interface Recorded {
  readonly counted: readonly (readonly [string, number])[];
  readonly own?: readonly [string, number][];
  readonly gauges?: readonly [string, number][];
}

export class Metrics extends DurableObject<Env> {
  /** The object's storage, its statements' rows written counted (`rowsWritten`). */
  private readonly storage: BucketStorage;
  private readonly buckets: BucketStore;
  /** When the backlog was last sampled (read from the buckets when the object starts). */
  private sampledAt: number | undefined;
  /** The totals as `totals` holds them, read once (this object alone writes them). */
  private totals: ReadonlyMap<string, number> | undefined;
  /** Rows written and not yet told (`record` tells them, its own two among them). */
  private written = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage, METRICS_MIGRATIONS);
    const { sql } = ctx.storage;
    this.storage = {
      sql: {
        exec: <T extends Record<string, SqlStorageValue>>(
          query: string,
          ...bindings: unknown[]
        ) => {
          const cursor = sql.exec<T>(query, ...bindings);
          // A write is done when `exec` returns (its `rowsWritten` final; of a string of
          // several statements, the last one's: none here). The schema's steps run on the
          // storage itself, uncounted: a few rows once.
          this.written += cursor.rowsWritten;
          return cursor;
        },
      },
      transactionSync: (closure) => ctx.storage.transactionSync(closure),
    };
    this.buckets = new BucketStore(this.storage);
    this.sampledAt = this.buckets.lastSampled(QUEUE_SIZE, Date.now() - SAMPLE_EVERY_MS);
    this.foldCounters();
  }

  /**
   * Adds what an invocation counted: to the totals (`/metrics`, one row) and to its minute's
   * bucket (the dashboard, one row), with the flush itself (a Durable Object request) and the
   * rows this object wrote for it. At most every 5 minutes, the queue backlog is then sampled
   * (a read of D1), and recorded as well: two rows more.
   */
  async add(entries: readonly [string, number][], options: AddOptions = {}): Promise<void> {
    const at = options.at ?? Date.now();
    this.buckets.prune(at);
    this.record(at, { counted: entries, own: [[FLUSHES, 1]] });
    if (this.sampledAt === undefined || Math.abs(at - this.sampledAt) >= SAMPLE_EVERY_MS) {
      this.sampledAt = at;
      const sample = await this.sampleBacklog();
      if (sample !== undefined) this.record(at, sample);
    }
  }

  /**
   * Writes counts to the totals and to the minute's bucket (two rows), with the rows written
   * so far, these two among them: told in the same rows, so none goes untold when the object
   * leaves memory. Were the two writes ever more, the rest is told the next time.
   */
  private record(at: number, what: Recorded): void {
    const { counted, own = [], gauges = [] } = what;
    const rows = this.written + 2;
    // The object's own counts (the flush, the rows) go in both as they are.
    const itself: [string, number][] = [...own, [ROWS_WRITTEN, rows]];
    this.addToTotals([...counted, ...itself]);
    this.buckets.add([...bucketEntries(counted), ...itself, ...gauges], at);
    this.written -= rows;
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
      const [row] = this.storage.sql
        .exec<{ data: string }>("SELECT data FROM totals WHERE k = 1")
        .toArray();
      const stored: Record<string, number> = row === undefined ? {} : JSON.parse(row.data);
      this.totals = new Map(Object.entries(stored));
    }
    return this.totals;
  }

  /**
   * Adds counts to the totals, written as one row whatever the number of series; kept in
   * memory once written, so a failed write leaves the totals as stored. A count that is not a
   * finite number is left out: the JSON would not keep it, nor read it back as one.
   */
  private addToTotals(entries: readonly (readonly [string, number])[]): void {
    this.totals = this.writeTotals(entries);
  }

  /** The totals with `entries` added, written; the memory is the caller's to set. */
  private writeTotals(entries: readonly (readonly [string, number])[]): Map<string, number> {
    const next = new Map(this.readTotals());
    for (const [key, value] of entries) {
      if (Number.isFinite(value)) next.set(key, (next.get(key) ?? 0) + value);
    }
    this.storage.sql.exec(
      "INSERT INTO totals (k, data) VALUES (1, ?) ON CONFLICT (k) DO UPDATE SET data = excluded.data",
      JSON.stringify(Object.fromEntries(next)),
    );
    return next;
  }

  /**
   * Folds what `counters` holds into the totals and empties it, in one transaction: this
   * object's totals before they were one row, or what a release rolled back to counted there
   * (the totals it showed started again from zero, as a restarted counter does; brought back,
   * nothing is lost). Failing, it leaves both as they were, and the object starts all the same.
   */
  private foldCounters(): void {
    try {
      const rows = this.storage.sql
        .exec<{ key: string; value: number }>("SELECT key, value FROM counters")
        .toArray();
      if (rows.length === 0) return;
      const next = this.storage.transactionSync(() => {
        const folded = this.writeTotals(rows.map((r) => [r.key, r.value]));
        this.storage.sql.exec("DELETE FROM counters");
        return folded;
      });
      this.totals = next;
    } catch (error) {
      this.totals = undefined;
      console.warn(
        `metrics: old counters not folded: ${error instanceof Error ? error.message : error}`,
      );
    }
  }

  /**
   * The queue backlog, read from D1 (a capped count), as a gauge, with the rows the read cost
   * (this object cannot flush to itself); nothing when the read fails.
   */
  private async sampleBacklog(): Promise<Recorded | undefined> {
    try {
      const { result, recorder } = await recording(() => readBacklog(createDb(this.env.DB)));
      return { counted: recorder.entries(), gauges: [[QUEUE_SIZE, result]] };
    } catch (error) {
      console.warn(
        `metrics: backlog not sampled: ${error instanceof Error ? error.message : error}`,
      );
      return undefined;
    }
  }
}
