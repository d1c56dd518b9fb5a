/**
 * The dashboard's time series, pure: which of an invocation's counters are kept in time
 * buckets (and under which key), how buckets merge and fold, and how the buckets of a window
 * become evenly spaced points. The Metrics object stores them (`bucket-store.ts`): a bucket
 * per minute for a day, then per hour for a month.
 */
import { seriesKey } from "./recorder";

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
/** Minute buckets are kept a day, then folded into their hour. */
export const MINUTES_KEPT_MS = DAY_MS;
/** Hour buckets are kept a little over a month (the longest window and a day of slack). */
export const HOURS_KEPT_MS = 31 * DAY_MS;
/** Folding and deleting old buckets runs at most this often (on a flush). */
export const PRUNE_EVERY_MS = MINUTE_MS;
/** The queue backlog (a D1 read) is sampled at most this often (on a flush). */
export const SAMPLE_EVERY_MS = 5 * MINUTE_MS;

/** The queue backlog gauge: sampled, not summed. */
export const QUEUE_SIZE = "activitypub_queue_size";
/** Flushes to the Metrics object: each is a Durable Object request. */
export const FLUSHES = "outpost_metrics_flushes_total";
/** Rows the Metrics object wrote to its storage, as SQLite counts them. */
export const ROWS_WRITTEN = "outpost_metrics_rows_written_total";
/** Keys whose buckets keep a sample (the latest in a minute, the highest when folded). */
const GAUGES: ReadonlySet<string> = new Set([QUEUE_SIZE]);

/** The series of one bucket: key → value. */
export type Bucket = Record<string, number>;

const labelOf = (key: string, label: string): string =>
  key.match(new RegExp(`[{,]${label}="((?:[^"\\\\]|\\\\.)*)"`))?.[1] ?? "";

/**
 * Under which key a counter is kept in the time buckets, or undefined when the dashboard does
 * not chart it. Labels the charts sum over are dropped, so a bucket holds a few dozen keys.
 */
export function bucketKey(key: string): string | undefined {
  const name = key.split("{")[0] ?? key;
  switch (name) {
    case "activitypub_deliveries_total":
    case "activitypub_delivery_duration_seconds_bucket":
    case "outpost_d1_rows_read_total":
    case "outpost_d1_rows_written_total":
    case "activitypub_kv_writes_total":
    case "activitypub_kv_reads_total":
      return key;
    case "activitypub_inbox_activities_total":
      return seriesKey(name, { result: labelOf(key, "result") });
    case "outpost_queue_messages_sent_total":
    case "outpost_do_calls_total":
      return name;
    default:
      return undefined;
  }
}

/** What of a flush's counters goes into its minute's bucket. */
export function bucketEntries(entries: readonly (readonly [string, number])[]): [string, number][] {
  const kept: [string, number][] = [];
  for (const [key, value] of entries) {
    const as = bucketKey(key);
    if (as !== undefined && Number.isFinite(value)) kept.push([as, value]);
  }
  return kept;
}

/** Adds entries into a bucket: counters add up, a gauge keeps its latest sample. */
export function addInto(bucket: Bucket, entries: Iterable<readonly [string, number]>): Bucket {
  for (const [key, value] of entries) {
    bucket[key] = GAUGES.has(key) ? value : (bucket[key] ?? 0) + value;
  }
  return bucket;
}

/** Folds one bucket into a longer one: counters add up, a gauge keeps its highest sample. */
export function foldInto(into: Bucket, from: Bucket): Bucket {
  for (const [key, value] of Object.entries(from)) {
    const had = into[key];
    into[key] = GAUGES.has(key) ? Math.max(had ?? value, value) : (had ?? 0) + value;
  }
  return into;
}

export type Window = "hour" | "day" | "month";
export const WINDOW_NAMES: readonly Window[] = ["hour", "day", "month"];

/** Each window's span and the spacing of its points: 60 minutes, 288 five minutes, 720 hours. */
export const WINDOWS: Readonly<
  Record<Window, { readonly spanMs: number; readonly stepMs: number }>
> = {
  hour: { spanMs: HOUR_MS, stepMs: MINUTE_MS },
  day: { spanMs: DAY_MS, stepMs: 5 * MINUTE_MS },
  month: { spanMs: 30 * DAY_MS, stepMs: HOUR_MS },
};

export interface Series {
  readonly window: Window;
  /** The start of the first point (ms); the last point is the one under way. */
  readonly start: number;
  readonly stepMs: number;
  readonly points: number;
  /** Each counter's sum per point (0 where nothing was counted). */
  readonly counters: Readonly<Record<string, readonly number[]>>;
  /** Each gauge's highest sample per point, null where none was taken. */
  readonly gauges: Readonly<Record<string, readonly (number | null)[]>>;
  /** Each counter's sum since 00:00 UTC (Cloudflare's daily allowances reset then). */
  readonly today: Readonly<Bucket>;
}

/** A stored bucket: its start (ms) and what it holds. */
export interface TimedBucket {
  readonly at: number;
  readonly bucket: Bucket;
}

/** The start of the UTC day of `at`. */
export const dayStart = (at: number): number => Math.floor(at / DAY_MS) * DAY_MS;

/** Evenly spaced points of a window ending with the point under way at `at`. */
export function assemble(
  rows: readonly TimedBucket[],
  query: { readonly window: Window; readonly at: number; readonly today: Bucket },
): Series {
  const { spanMs, stepMs } = WINDOWS[query.window];
  const points = spanMs / stepMs;
  const start = Math.floor(query.at / stepMs) * stepMs + stepMs - spanMs;
  const folded: Bucket[] = Array.from({ length: points }, () => ({}));
  for (const { at, bucket } of rows) {
    const i = Math.floor((at - start) / stepMs);
    const into = folded[i];
    if (into !== undefined) foldInto(into, bucket);
  }
  const keys = new Set(folded.flatMap((b) => Object.keys(b)));
  const counters: Record<string, number[]> = {};
  const gauges: Record<string, (number | null)[]> = {};
  for (const key of keys) {
    if (GAUGES.has(key)) gauges[key] = folded.map((b) => b[key] ?? null);
    else counters[key] = folded.map((b) => b[key] ?? 0);
  }
  return { window: query.window, start, stepMs, points, counters, gauges, today: query.today };
}
