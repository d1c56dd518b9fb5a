/**
 * The Metrics object's time buckets, in its SQLite: one row per minute (a day of them), one
 * per hour (a month), each the JSON of its series. A flush reads and writes its minute's one
 * row, whatever it counted; at most once a minute, minutes older than a day are folded into
 * their hours, and hours older than a month deleted.
 */
import type { Migration } from "../lib/do-migrations";
import {
  addInto,
  assemble,
  type Bucket,
  dayStart,
  foldInto,
  HOUR_MS,
  HOURS_KEPT_MS,
  MINUTE_MS,
  MINUTES_KEPT_MS,
  PRUNE_EVERY_MS,
  type Series,
  type TimedBucket,
  WINDOWS,
  type Window,
} from "./buckets";

/** The migration step that makes the bucket tables (appended to the object's steps). */
export const BUCKET_TABLES: Migration = (sql) => {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS minute_buckets (at INTEGER PRIMARY KEY, data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS hour_buckets (at INTEGER PRIMARY KEY, data TEXT NOT NULL);
  `);
};

type Table = "minute_buckets" | "hour_buckets";

interface Row extends Record<string, SqlStorageValue> {
  at: number;
  data: string;
}

const parse = (row: Row): TimedBucket => ({ at: row.at, bucket: JSON.parse(row.data) as Bucket });

/** What the store needs of the object's storage (the object counts the rows it writes). */
export interface BucketStorage {
  readonly sql: Pick<SqlStorage, "exec">;
  transactionSync<T>(closure: () => T): T;
}

export class BucketStore {
  /** When the buckets were last pruned (this instance's memory: after a restart, once more). */
  private prunedAt: number | undefined;

  constructor(private readonly storage: BucketStorage) {}

  /** Adds what a flush counted (or a gauge's sample) into the bucket of its minute. */
  add(entries: Iterable<readonly [string, number]>, at: number): void {
    const minute = Math.floor(at / MINUTE_MS) * MINUTE_MS;
    this.storage.transactionSync(() => {
      const bucket = this.read("minute_buckets", minute) ?? {};
      this.write("minute_buckets", { at: minute, bucket: addInto(bucket, entries) });
    });
  }

  /**
   * Folds minutes older than a day into their hours and deletes hours older than a month;
   * at most once every `PRUNE_EVERY_MS` (a clock that goes back, in tests, prunes again).
   */
  prune(at: number): boolean {
    if (this.prunedAt !== undefined && Math.abs(at - this.prunedAt) < PRUNE_EVERY_MS) return false;
    this.prunedAt = at;
    const cutoff = Math.floor((at - MINUTES_KEPT_MS) / MINUTE_MS) * MINUTE_MS;
    const { sql } = this.storage;
    this.storage.transactionSync(() => {
      const old = sql
        .exec<Row>("SELECT at, data FROM minute_buckets WHERE at < ? ORDER BY at", cutoff)
        .toArray()
        .map(parse);
      const hours = new Map<number, Bucket>();
      for (const { at: minute, bucket } of old) {
        const hour = Math.floor(minute / HOUR_MS) * HOUR_MS;
        hours.set(hour, foldInto(hours.get(hour) ?? this.read("hour_buckets", hour) ?? {}, bucket));
      }
      for (const [hour, bucket] of hours) this.write("hour_buckets", { at: hour, bucket });
      sql.exec("DELETE FROM minute_buckets WHERE at < ?", cutoff);
      sql.exec("DELETE FROM hour_buckets WHERE at < ?", at - HOURS_KEPT_MS);
    });
    return true;
  }

  /**
   * The minute, since `since`, of the latest bucket holding `key` (a gauge's last sample), if
   * any: at most the few minutes since then are read.
   */
  lastSampled(key: string, since: number): number | undefined {
    const [row] = this.storage.sql
      .exec<{ at: number | null }>(
        "SELECT max(at) AS at FROM minute_buckets WHERE at >= ? AND data ->> ? IS NOT NULL",
        Math.floor(since / MINUTE_MS) * MINUTE_MS,
        `$.${key}`,
      )
      .toArray();
    return row?.at ?? undefined;
  }

  /** A window's points ending at `at`, with today's totals. */
  series(window: Window, at: number): Series {
    const { spanMs } = WINDOWS[window];
    // Up to the end of the minute under way: a bucket of a later time (a clock set back, in
    // tests) is not part of this window.
    const until = Math.floor(at / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    const since = at - spanMs;
    const midnight = dayStart(at);
    // One read of the minutes serves the window and today's totals, from whichever starts
    // first (midnight, for the hour's window after 01:00 UTC; else the window).
    const minutes = this.rows("minute_buckets", { since: Math.min(since, midnight), until });
    const rows = [
      ...(window === "month" ? this.rows("hour_buckets", { since, until }) : []),
      ...minutes.filter((row) => row.at >= since),
    ];
    const today: Bucket = {};
    for (const row of minutes) if (row.at >= midnight) foldInto(today, row.bucket);
    return assemble(rows, { window, at, today });
  }

  private rows(table: Table, span: { since: number; until: number }): TimedBucket[] {
    return this.storage.sql
      .exec<Row>(
        `SELECT at, data FROM ${table} WHERE at >= ? AND at < ? ORDER BY at`,
        span.since,
        span.until,
      )
      .toArray()
      .map(parse);
  }

  private read(table: Table, at: number): Bucket | undefined {
    const [row] = this.storage.sql
      .exec<Row>(`SELECT at, data FROM ${table} WHERE at = ?`, at)
      .toArray();
    return row === undefined ? undefined : parse(row).bucket;
  }

  private write(table: Table, { at, bucket }: TimedBucket): void {
    this.storage.sql.exec(
      `INSERT INTO ${table} (at, data) VALUES (?, ?) ON CONFLICT (at) DO UPDATE SET data = excluded.data`,
      at,
      JSON.stringify(bucket),
    );
  }
}
