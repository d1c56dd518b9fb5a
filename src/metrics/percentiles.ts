/**
 * Delivery latency percentiles from the duration histogram's bucket counts, estimated as
 * Prometheus's `histogram_quantile` does: linearly within the bucket the rank falls in, from 0
 * below the first bound, and the highest finite bound when it falls in `+Inf`.
 */
import { DURATION_BUCKETS, seriesKey } from "./recorder";

/** One histogram bucket: its upper bound (seconds) and the observations at or under it. */
export interface HistogramBucket {
  readonly le: number;
  readonly count: number;
}

/** The `q`-quantile (0–1) of a cumulative histogram, or null when it holds nothing. */
export function quantile(q: number, buckets: readonly HistogramBucket[]): number | null {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let below = { le: 0, count: 0 };
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Number.POSITIVE_INFINITY) return below.le;
      if (bucket.count === below.count) return bucket.le;
      return (
        below.le + ((bucket.le - below.le) * (rank - below.count)) / (bucket.count - below.count)
      );
    }
    below = bucket;
  }
  return below.le;
}

/** The histogram's keys, bound by bound, `+Inf` last. */
export function histogramKeys(name: string): { readonly le: number; readonly key: string }[] {
  return [
    ...DURATION_BUCKETS.map((le) => ({ le, key: seriesKey(`${name}_bucket`, { le: String(le) }) })),
    { le: Number.POSITIVE_INFINITY, key: seriesKey(`${name}_bucket`, { le: "+Inf" }) },
  ];
}

/**
 * Each point's quantiles, from per-point bucket counts (`counters`, keyed as the recorder
 * keys them; a point's counts are those observed in it): null where nothing was observed.
 */
export function quantileSeries(
  counters: Readonly<Record<string, readonly number[]>>,
  query: { readonly name: string; readonly points: number; readonly q: number },
): (number | null)[] {
  const keys = histogramKeys(query.name);
  return Array.from({ length: query.points }, (_, i) =>
    quantile(
      query.q,
      keys.map(({ le, key }) => ({ le, count: counters[key]?.[i] ?? 0 })),
    ),
  );
}
