/**
 * The delivery policy, in one place: how an answer is classified, how long to wait before
 * the next try, how many tries an inbox gets, when a host's circuit opens and when it is
 * given up on. Pure functions and constants; the numbers come from Mastodon, Fedify and
 * GoToSocial (the table in docs/ARCHITECTURE.md, "The delivery policy"). `send.ts` sends,
 * `deliver.ts` records, `HostState` remembers, and they decide through what is here.
 *
 * One type, `DeliveryOutcome`, travels from the POST to the host object and back to the
 * delivery record.
 */

/** What one POST to one inbox came to. */
export type DeliveryOutcome =
  | { readonly kind: "delivered"; readonly inbox: string; readonly status: number }
  /** 404/410: the inbox is gone; never try it again. */
  | { readonly kind: "gone"; readonly inbox: string; readonly status: number }
  /** Another 4xx: the host is up but will not take this activity. */
  | { readonly kind: "rejected"; readonly inbox: string; readonly status: number }
  /** 401/408/429/503: try again, after `retryAfter` seconds when the host says. */
  | {
      readonly kind: "retry";
      readonly inbox: string;
      readonly status: number;
      readonly retryAfter?: number;
    }
  /** 5xx, timeouts, refused connections: the host is failing. */
  | {
      readonly kind: "hostFailure";
      readonly inbox: string;
      readonly status?: number;
      readonly error: string;
    }
  /** The URL is not one we may send to; nothing was sent. */
  | { readonly kind: "blocked"; readonly inbox: string };

export type OutcomeKind = DeliveryOutcome["kind"];

// ---------------------------------------------------------------- limits

/** How long a remote inbox has to answer a POST (Mastodon: 10 s read timeout). */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** POSTs in flight at once: what one Workers invocation may hold open. */
export const CONNECTIONS = 6;
/**
 * Inboxes per delivery message (the fan-out's, and a host's drained parked deliveries'). A
 * message costs its consumer one POST per inbox, two D1 round trips, and two Durable Object
 * calls per host that is failing (healthy hosts cost none): 32 inboxes leave room, under the
 * free plan's 50 subrequests, for a few failing hosts and second knocks.
 */
export const MAX_INBOXES_PER_MESSAGE = 32;
/**
 * Tries of one inbox before a delivery that keeps failing is recorded as failed. A message
 * whose consumer failed unexpectedly is retried by the queue this many times more before it
 * is dead-lettered (wrangler.toml's `max_retries`, which a test checks against this).
 */
export const MAX_ATTEMPTS = 10;
/** The dead-letter queue's own retries (wrangler.toml), for recording what died. */
export const DEAD_LETTER_RETRIES = 3;
/** The longest delay Queues accept for a message (12 hours). */
export const MAX_QUEUE_DELAY_SECONDS = 12 * 3600;

// ---------------------------------------------------------------- classification

/** Reads `Retry-After` (seconds or an HTTP date) into seconds from `now`. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}

/** An inbox's answer, classified as Mastodon and Fedify classify it. */
export function classifyResponse(
  inbox: string,
  response: Pick<Response, "status" | "headers">,
  now: Date,
): DeliveryOutcome {
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: "delivered", inbox, status };
  if (status === 404 || status === 410) return { kind: "gone", inbox, status };
  if (status === 429 || status === 503) {
    const retryAfter = parseRetryAfter(response.headers.get("retry-after"), now);
    return { kind: "retry", inbox, status, retryAfter };
  }
  if (status === 401 || status === 408) return { kind: "retry", inbox, status };
  if (status >= 400 && status < 500) return { kind: "rejected", inbox, status };
  return { kind: "hostFailure", inbox, status, error: `HTTP ${status}` };
}

/** A POST that got no answer: it timed out, or the connection failed. */
export function classifyError(inbox: string, error: unknown): DeliveryOutcome {
  const timeout = error instanceof Error && error.name === "TimeoutError";
  return { kind: "hostFailure", inbox, error: timeout ? "timeout" : "network error" };
}

/** The host answered (even "gone" or "no"): it is up, whatever else failed. */
const hostAnswered = (outcomes: readonly DeliveryOutcome[]): boolean =>
  outcomes.some((o) => o.kind === "delivered" || o.kind === "gone" || o.kind === "rejected");

/** Nothing more will be done for it: delivered, or refused for good. */
export const isFinal = (outcome: DeliveryOutcome): boolean =>
  outcome.kind !== "retry" && outcome.kind !== "hostFailure";

/** Whether a 400 or 401 may mean "the other signature flavour, please". */
export const mayWantOtherFlavour = (outcome: DeliveryOutcome): boolean =>
  "status" in outcome && (outcome.status === 400 || outcome.status === 401);

/** How the delivery record names an outcome. */
function describeOutcome(outcome: DeliveryOutcome): string {
  switch (outcome.kind) {
    case "blocked":
      return "address not allowed";
    case "hostFailure":
      return outcome.error;
    case "gone":
    case "rejected":
      return `HTTP ${outcome.status} (${outcome.kind})`;
    default:
      return `HTTP ${outcome.status}`;
  }
}

// ---------------------------------------------------------------- backoff

/** The first backoff's ceiling; `DEV_RETRY_BASE_MS` shortens it on a development instance. */
export const BASE_BACKOFF_MS = 30_000;
/** Backoff ceiling: a day. */
export const MAX_BACKOFF_MS = 24 * 3600_000;

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

/** A wait as a queue delay: whole seconds, rounded up, at least one, at most what Queues take. */
const asQueueDelay = (ms: number): number =>
  Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(1, Math.ceil(ms / 1000)));

/** The backoff after `failures`, as a queue delay. */
export function backoffSeconds(failures: number, options: BackoffOptions = {}): number {
  return asQueueDelay(backoffMs(failures, options));
}

// ---------------------------------------------------------------- hosts

/** Consecutive host failures that open the circuit (Fedify: 5). */
export const BREAKER_THRESHOLD = 5;
/** Separate days with failures that mark a host unavailable (Mastodon: 7). */
export const UNAVAILABLE_AFTER_DAYS = 7;
/** How long deliveries stay parked before they are recorded as failed. */
export const PARK_RETENTION_MS = 7 * 24 * 3600_000;
/** A probe not reported back within this long is considered lost, and another is sent. */
export const PROBE_TIMEOUT_MS = 10 * 60_000;

/** The day number (UTC) of a time: failures are counted per separate day. */
const dayOf = (time: Date): number => Math.floor(time.getTime() / 86_400_000);

/** What a host's object remembers of its failures. */
export interface HostRecord {
  readonly failures: number;
  /** The days (`dayOf`) with failures since the last success. */
  readonly failureDays: readonly number[];
  /** While set, the circuit is open: deliveries park until then, then one probe goes. */
  readonly openUntil: Date | null;
  readonly unavailable: boolean;
}

export const HEALTHY: HostRecord = {
  failures: 0,
  failureDays: [],
  openUntil: null,
  unavailable: false,
};

/** Whether deliveries to the host are parked rather than sent. */
export const isOpen = (record: HostRecord): boolean =>
  record.openUntil !== null || record.unavailable;

/** What a host's object makes of the outcomes of one delivery to it. */
export interface HostVerdict {
  readonly record: HostRecord;
  /** The host answered: what is parked drains. */
  readonly recovered: boolean;
  /** Inboxes to try again through the queue, after `delaySeconds`. */
  readonly retry: { readonly inboxes: readonly string[]; readonly delaySeconds: number };
  /** Inboxes parked in the object until the host recovers; `wakeAt`: the alarm for them. */
  readonly park: { readonly inboxes: readonly string[]; readonly wakeAt: Date | null };
}

export interface JudgeOptions extends BackoffOptions {
  readonly now: Date;
}

/**
 * The host's answer to a delivery: any answer of the host's own (a delivery, or a 404, 410
 * or other refusal) resets it, and only that does: unlike Mastodon, inbound traffic never
 * does. "Try later" answers wait without counting against it; failures count, open the
 * circuit at the threshold or once the host has failed on enough separate days, and park
 * what failed while it is open.
 */
export function judgeHost(
  record: HostRecord,
  outcomes: readonly DeliveryOutcome[],
  options: JudgeOptions,
): HostVerdict {
  const { now } = options;
  const unfinished = outcomes.filter((o) => !isFinal(o)).map((o) => o.inbox);
  const retryAfter = Math.max(
    0,
    ...outcomes.map((o) => ("retryAfter" in o ? (o.retryAfter ?? 0) : 0)),
  );
  // As long as the host asked, and at least the first backoff; a queue delay has its cap.
  const later = Math.max(retryAfter, backoffSeconds(1, options));
  const soon = Math.min(MAX_QUEUE_DELAY_SECONDS, later);
  const noPark = { inboxes: [], wakeAt: null };
  if (hostAnswered(outcomes)) {
    return {
      record: HEALTHY,
      recovered: true,
      retry: { inboxes: unfinished, delaySeconds: soon },
      park: noPark,
    };
  }
  if (!outcomes.some((o) => o.kind === "hostFailure")) {
    // Only "try later" answers (429, 503, 401...): not a failure of the host.
    if (isOpen(record)) {
      const wakeAt = new Date(now.getTime() + later * 1000);
      return {
        record,
        recovered: false,
        retry: { inboxes: [], delaySeconds: 0 },
        park: { inboxes: unfinished, wakeAt },
      };
    }
    return {
      record,
      recovered: false,
      retry: { inboxes: unfinished, delaySeconds: soon },
      park: noPark,
    };
  }
  const failures = record.failures + 1;
  const failureDays = [...new Set([...record.failureDays, dayOf(now)])];
  const unavailable = record.unavailable || failureDays.length >= UNAVAILABLE_AFTER_DAYS;
  const wait = backoffMs(failures, options);
  if (failures >= BREAKER_THRESHOLD || unavailable || record.openUntil !== null) {
    // The circuit opens (or stays open): park, and probe once the backoff has passed.
    const openUntil = new Date(now.getTime() + wait);
    return {
      record: { failures, failureDays, openUntil, unavailable },
      recovered: false,
      retry: { inboxes: [], delaySeconds: 0 },
      park: { inboxes: unfinished, wakeAt: openUntil },
    };
  }
  return {
    record: { ...record, failures, failureDays },
    recovered: false,
    retry: { inboxes: unfinished, delaySeconds: asQueueDelay(wait) },
    park: noPark,
  };
}

// ---------------------------------------------------------------- the record of a delivery

/** Where one host's share of a delivery stands once its POSTs are done. */
export type HostSettlement =
  | { readonly state: "reached" }
  | {
      readonly state: "retrying";
      readonly inboxes: readonly string[];
      readonly error: string;
      readonly delaySeconds: number;
    }
  | {
      readonly state: "parked" | "failed";
      readonly inboxes: readonly string[];
      readonly error: string;
    };

/**
 * Settles a host after its POSTs and its object's verdict. What is still to do wins over
 * what failed for good (a host's record has one state, and an inbox to retry must never be
 * dropped because another of the host's inboxes is gone); after `MAX_ATTEMPTS` tries, what
 * is left is recorded as failed.
 */
export function settleHost(
  outcomes: readonly DeliveryOutcome[],
  verdict: {
    readonly retry: HostVerdict["retry"];
    readonly park: Pick<HostVerdict["park"], "inboxes">;
  },
  attempt: number,
): HostSettlement {
  const describe = (inbox: string | undefined) => {
    const outcome = outcomes.find((o) => o.inbox === inbox);
    return outcome === undefined ? "unknown" : describeOutcome(outcome);
  };
  const { retry, park } = verdict;
  if (retry.inboxes.length > 0) {
    const error = describe(retry.inboxes[0]);
    if (attempt >= MAX_ATTEMPTS) {
      return {
        state: "failed",
        inboxes: retry.inboxes,
        error: `gave up after ${attempt} attempts: ${error}`,
      };
    }
    return { state: "retrying", inboxes: retry.inboxes, error, delaySeconds: retry.delaySeconds };
  }
  if (park.inboxes.length > 0) {
    return { state: "parked", inboxes: park.inboxes, error: describe(park.inboxes[0]) };
  }
  const refused = outcomes.filter((o) => o.kind !== "delivered");
  if (refused.length > 0) {
    return {
      state: "failed",
      inboxes: refused.map((o) => o.inbox),
      error: describe(refused[0]?.inbox),
    };
  }
  return { state: "reached" };
}
