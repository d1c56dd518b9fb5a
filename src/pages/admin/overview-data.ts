/**
 * What the delivery charts show, derived from a window's series: deliveries by outcome,
 * latency percentiles, the queue backlog, and inbound activities by answer.
 */
import { QUEUE_SIZE, type Series } from "../../metrics/buckets";
import { quantileSeries } from "../../metrics/percentiles";
import { seriesKey } from "../../metrics/recorder";
import type { ChartLine } from "./chart";

const DELIVERIES = "activitypub_deliveries_total";
const INBOX = "activitypub_inbox_activities_total";

/** How each POST's result is charted: its outcome for the inbox. */
const OUTCOMES: readonly { readonly label: string; readonly results: readonly string[] }[] = [
  { label: "delivered", results: ["delivered"] },
  { label: "retried", results: ["retry", "hostFailure"] },
  { label: "parked", results: ["parked"] },
  { label: "failed", results: ["gone", "rejected", "blocked"] },
];

/** What an inbox answer means, for the legend. */
const REASONS = new Map([
  ["accepted", "accepted"],
  ["duplicate", "duplicate"],
  ["blocked_domain", "blocked domain"],
  ["blocked_actor", "blocked actor"],
  ["400", "400 malformed"],
  ["401", "401 signature"],
  ["403", "403 refused"],
  ["413", "413 too large"],
  ["415", "415 not JSON"],
  ["429", "429 rate-limited"],
]);

const zeros = (n: number) => Array.from({ length: n }, () => 0);

function sum(series: Series, keys: readonly string[]): number[] {
  const total = zeros(series.points);
  for (const key of keys) {
    series.counters[key]?.forEach((v, i) => {
      total[i] = (total[i] ?? 0) + v;
    });
  }
  return total;
}

export function deliveryLines(series: Series): ChartLine[] {
  return OUTCOMES.map(({ label, results }) => ({
    label,
    values: sum(
      series,
      results.map((result) => seriesKey(DELIVERIES, { result })),
    ),
  }));
}

export function latencyLines(series: Series): ChartLine[] {
  return [0.5, 0.95, 0.99].map((q) => ({
    label: `p${Math.round(q * 100)}`,
    values: quantileSeries(series.counters, {
      name: "activitypub_delivery_duration_seconds",
      points: series.points,
      q,
    }),
  }));
}

/** How long a backlog sample stands for the points after it. */
const SAMPLE_HOLDS_MS = 10 * 60_000;

/** The sampled backlog, each sample held over the points until the next (up to 10 minutes). */
export function backlogLine(series: Series): ChartLine {
  const samples = series.gauges[QUEUE_SIZE] ?? [];
  const holds = Math.max(1, Math.floor(SAMPLE_HOLDS_MS / series.stepMs));
  let last: number | null = null;
  let age = 0;
  const values = Array.from({ length: series.points }, (_, i) => {
    const sample = samples[i] ?? null;
    if (sample !== null) {
      last = sample;
      age = 0;
    } else if (++age >= holds) {
      last = null;
    }
    return last;
  });
  return { label: "deliveries waiting", values };
}

export interface InboundTotal {
  readonly result: string;
  readonly label: string;
  readonly total: number;
}

/** The window's inbound activities per answer, most first. */
export function inboundTotals(series: Series): InboundTotal[] {
  const prefix = `${INBOX}{result="`;
  return Object.entries(series.counters)
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, values]) => {
      const result = key.slice(prefix.length, -2);
      return {
        result,
        label: REASONS.get(result) ?? result,
        total: values.reduce((a, b) => a + b, 0),
      };
    })
    .filter((t) => t.total > 0)
    .sort((a, b) => b.total - a.total || a.result.localeCompare(b.result));
}

/** Accepted activities, then each refusal reason (the five most frequent; the rest together). */
export function inboundLines(series: Series): ChartLine[] {
  const line = (results: readonly string[], label: string): ChartLine => ({
    label,
    values: sum(
      series,
      results.map((result) => seriesKey(INBOX, { result })),
    ),
  });
  const others = inboundTotals(series).filter((t) => t.result !== "accepted");
  const shown = others.slice(0, 5);
  const rest = others.slice(5).map((t) => t.result);
  return [
    line(["accepted"], "accepted"),
    ...shown.map((t) => line([t.result], t.label)),
    ...(rest.length > 0 ? [line(rest, "other")] : []),
  ];
}
