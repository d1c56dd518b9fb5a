/** How the dashboard writes numbers and times: UTC, as Cloudflare's daily allowances count. */

const pad = (n: number) => String(n).padStart(2, "0");

/** `2026-11-03 14:05` (UTC). */
export function utc(time: Date | number): string {
  const d = new Date(time);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** `14:05` (UTC). */
export const clock = (time: number): string => utc(time).slice(11);

/** `11-03` (UTC). */
export const day = (time: number): string => utc(time).slice(5, 10);

/** `in 4 min`, `3 h ago`: a time relative to `now`. */
export function relative(time: Date, now: Date): string {
  const ms = time.getTime() - now.getTime();
  const abs = Math.abs(ms);
  const span =
    abs < 60_000
      ? `${Math.round(abs / 1000)} s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 172_800_000
          ? `${Math.round(abs / 3_600_000)} h`
          : `${Math.round(abs / 86_400_000)} days`;
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}

/** A count with thousands separated: `12,345`. */
export function count(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Seconds, short: `0.42 s`, `3.1 s`. */
export function seconds(n: number): string {
  return n < 1 ? `${n.toFixed(2)} s` : `${n.toFixed(1)} s`;
}
