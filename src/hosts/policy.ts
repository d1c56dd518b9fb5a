/**
 * When to stop sending to a failing host, and when to try again: the numbers of Fedify's
 * circuit breaker and Mastodon's failure tracker (see DESIGN.md), as pure functions.
 */

/** Consecutive host failures that open the circuit (Fedify: 5). */
export const BREAKER_THRESHOLD = 5;
/** Separate days with failures that mark a host unavailable (Mastodon: 7). */
export const UNAVAILABLE_AFTER_DAYS = 7;
/** How long deliveries stay parked before they are recorded as failed. */
export const PARK_RETENTION_MS = 7 * 24 * 3600_000;
/** A probe not reported back within this long is considered lost, and another is sent. */
export const PROBE_TIMEOUT_MS = 10 * 60_000;
/** Backoff ceiling (DESIGN.md: capped at 24 hours). */
export const MAX_BACKOFF_MS = 24 * 3600_000;
const BASE_BACKOFF_MS = 30_000;

/**
 * Exponential backoff with jitter: between half and all of 30 s × 2^(failures-1), capped at
 * a day. The jitter keeps retries to many hosts, or from many senders, from coming in waves.
 */
export function backoffMs(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** The day number (UTC) of a time: failures are counted per separate day. */
export const dayOf = (time: number): number => Math.floor(time / 86_400_000);
