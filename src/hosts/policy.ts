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
/** The first backoff's ceiling; `DEV_RETRY_BASE_MS` shortens it on a development instance. */
export const BASE_BACKOFF_MS = 30_000;

export interface BackoffOptions {
  /** The first wait's ceiling, in ms; later ones double. Default `BASE_BACKOFF_MS` (30 s). */
  readonly baseMs?: number;
  /** Default `Math.random`; tests pin it. */
  readonly random?: () => number;
}

/**
 * Exponential backoff with jitter: between half and all of base × 2^(failures-1), capped at
 * a day. The jitter keeps retries to many hosts, or from many senders, from coming in waves.
 */
export function backoffMs(failures: number, options: BackoffOptions = {}): number {
  const { baseMs = BASE_BACKOFF_MS, random = Math.random } = options;
  const ceiling = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** A wait as a queue delay, which is whole seconds: rounded up, and never zero. */
export const asQueueDelay = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** The backoff after `failures`, as a queue delay. */
export function backoffSeconds(failures: number, options: BackoffOptions = {}): number {
  return asQueueDelay(backoffMs(failures, options));
}

/** The day number (UTC) of a time: failures are counted per separate day. */
export const dayOf = (time: number): number => Math.floor(time / 86_400_000);
