/**
 * The Workers Free plan's daily allowances Outpost is measured against (the README's "The
 * Workers Free plan" table; `bench/scale.mjs` holds the same numbers), and today's use of each
 * from the counters kept in the Metrics object's buckets. The allowances reset at 00:00 UTC.
 */
import { type Bucket, FLUSHES, ROWS_WRITTEN } from "./buckets";

/** Operations Queues bills per message: written, read, deleted. */
export const OPS_PER_MESSAGE = 3;

export interface Allowance {
  readonly id: string;
  readonly label: string;
  /** What the plan allows a day. */
  readonly limit: number;
  /** Today's use, from the day's counters. */
  readonly used: (today: Bucket) => number;
  /** What is not counted, said beside the number. */
  readonly note: string;
}

const n = (today: Bucket, key: string) => today[key] ?? 0;

export const FREE_PLAN: readonly Allowance[] = [
  {
    id: "queue",
    label: "Queue operations",
    limit: 10_000,
    used: (t) => OPS_PER_MESSAGE * n(t, "outpost_queue_messages_sent_total"),
    note: "3 per message sent; retries not counted",
  },
  {
    id: "d1-read",
    label: "D1 rows read",
    limit: 5_000_000,
    used: (t) => n(t, "outpost_d1_rows_read_total"),
    note: "as D1 reports them",
  },
  {
    id: "d1-written",
    label: "D1 rows written",
    limit: 100_000,
    used: (t) => n(t, "outpost_d1_rows_written_total"),
    note: "as D1 reports them",
  },
  {
    id: "kv-reads",
    label: "KV reads",
    limit: 100_000,
    used: (t) => n(t, "activitypub_kv_reads_total"),
    note: "actor cache and its neighbours; the isolate's copies not read",
  },
  {
    id: "kv-writes",
    label: "KV writes",
    limit: 1_000,
    used: (t) => n(t, "activitypub_kv_writes_total"),
    note: "actor cache and account extras",
  },
  {
    id: "do-requests",
    label: "Durable Object requests",
    limit: 100_000,
    used: (t) => n(t, "outpost_do_calls_total") + n(t, FLUSHES),
    note: "calls made, and each flush to the Metrics object",
  },
  {
    id: "do-rows-written",
    label: "Durable Object rows written",
    limit: 100_000,
    used: (t) => n(t, ROWS_WRITTEN),
    note: "the Metrics object's (two a flush, and its pruning); host objects' not counted",
  },
];
