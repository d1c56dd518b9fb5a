/** Prometheus text exposition format (version 0.0.4) of the instance's metrics. */

const HELP: Record<string, string> = {
  activitypub_delivery_duration_seconds: "Time of one delivery POST, from request to answer.",
  activitypub_deliveries_total:
    "Deliveries to remote inboxes, by result (parked: not sent, the host is down).",
  activitypub_delivery_errors_total: "Deliveries that did not succeed, by kind of error.",
  activitypub_queue_size: "Deliveries (per host) queued, being retried, or parked.",
  activitypub_hosts: "Remote hosts delivered to, by state.",
  activitypub_inbox_activities_total: "Activities received at the inboxes, by type and answer.",
  activitypub_actor_cache_total: "Remote actor lookups, by cache result.",
  activitypub_inbound_ignored_items_total:
    "Entries of remote lists (addressing, tags, attachments) beyond their cap, ignored.",
  activitypub_kv_reads_total:
    "Reads of KV (the actor cache, account extras, thread fetches); not the isolate's copies.",
  activitypub_kv_writes_total: "Writes to KV (the actor cache, account extras, thread fetches).",
  activitypub_kv_write_errors_total: "Writes to KV that failed (quota, rate).",
  outpost_public_cache_total:
    "Public GETs (actor, collections, notes, pages) by Cache API result: hit, miss, bypass.",
  outpost_queue_messages_sent_total: "Queue messages sent, by type.",
  outpost_do_calls_total: "Durable Object calls made, by method.",
  outpost_metrics_flushes_total: "Flushes to the Metrics object: a Durable Object request each.",
  outpost_metrics_rows_written_total:
    "Rows the Metrics object wrote to its storage (what Durable Objects bill).",
  outpost_streaming_connections_total: "Streaming API sockets accepted.",
  outpost_streaming_frames_total: "Streaming API frames sent to sockets.",
  outpost_streaming_send_errors_total: "Event batches that did not reach the streaming object.",
  outpost_streaming_event_errors_total: "Events that could not be made (read or serialised).",
  outpost_d1_queries_total: "D1 queries run.",
  outpost_d1_round_trips_total: "D1 round trips (a query alone, or a batch of them).",
  outpost_d1_rows_read_total: "D1 rows read (what D1 bills).",
  outpost_d1_rows_written_total: "D1 rows written (what D1 bills).",
};

const familyOf = (key: string): string => {
  const name = key.split("{")[0] ?? key;
  return name.replace(/_(bucket|sum|count)$/, (m) =>
    HELP[name.slice(0, -m.length)] !== undefined ? "" : m,
  );
};

const typeOf = (family: string, keys: readonly string[]): string => {
  if (keys.some((k) => k.startsWith(`${family}_bucket`))) return "histogram";
  return family.endsWith("_total") ? "counter" : "gauge";
};

/** Series in key order, except histogram buckets: by their bound, `+Inf` last. */
function bySeries(a: Sample, b: Sample): number {
  const le = (key: string) => key.match(/le="([^"]+)"/)?.[1];
  const base = (key: string) => key.replace(/,?le="[^"]+"/, "");
  const [la, lb] = [le(a.key), le(b.key)];
  if (la === undefined || lb === undefined || base(a.key) !== base(b.key)) {
    return a.key.localeCompare(b.key);
  }
  const bound = (v: string) => (v === "+Inf" ? Number.POSITIVE_INFINITY : Number(v));
  return bound(la) - bound(lb);
}

export interface Sample {
  readonly key: string;
  readonly value: number;
}

/** Renders samples (`name{labels}` keys) grouped by family, each with HELP and TYPE. */
export function renderPrometheus(samples: readonly Sample[]): string {
  const families = new Map<string, Sample[]>();
  for (const name of Object.keys(HELP)) families.set(name, []);
  for (const sample of samples) {
    const family = familyOf(sample.key);
    families.set(family, [...(families.get(family) ?? []), sample]);
  }
  const lines: string[] = [];
  for (const [family, members] of [...families].sort(([a], [b]) => a.localeCompare(b))) {
    const keys = members.map((m) => m.key);
    if (HELP[family] !== undefined) lines.push(`# HELP ${family} ${HELP[family]}`);
    lines.push(`# TYPE ${family} ${typeOf(family, keys)}`);
    for (const { key, value } of [...members].sort(bySeries)) {
      lines.push(`${key} ${Number.isInteger(value) ? value : value.toFixed(6)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
