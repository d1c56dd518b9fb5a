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
      /** The failure took longer than `FAST_PATH_TIMEOUT_MS` to come (a proxy's 504, say). */
      readonly slow?: boolean;
    }
  /** The URL is not one we may send to; nothing was sent. */
  | { readonly kind: "blocked"; readonly inbox: string };

export type OutcomeKind = DeliveryOutcome["kind"];

// ---------------------------------------------------------------- limits

/**
 * How long a remote inbox has to answer a POST (Mastodon: 10 s read timeout), from the queue
 * consumer (which does not wait that long: `LET_GO`) as from the host's object.
 */
export const DELIVERY_TIMEOUT_MS = 10_000;
/**
 * The answer a healthy inbox gives well within (Mastodon queues what it receives): the most a
 * delivery message waits for a host before it lets go of it (`LET_GO`), and the time past
 * which a host is slow. A host that answers the consumer slower than this is remembered as slow
 * by its `HostState` object, which serves it until it is fast again.
 */
export const FAST_PATH_TIMEOUT_MS = 2_000;
/**
 * How long a delivery message waits for a host still sending once others are done: three
 * times as long as the slowest of those took, at least a quarter of a second, at most
 * `FAST_PATH_TIMEOUT_MS`. A straggler is not stopped: its POSTs under way go on after the
 * message is acknowledged, to their answers or `DELIVERY_TIMEOUT_MS` (the queue does not wait
 * for `waitUntil`: wrangler.toml's `queue_consumer_no_wait_for_wait_until`), what failed goes
 * to its object, and its end is recorded then. Letting go costs one more D1 write and one
 * more metrics flush, and the record that covers it (`AWAITING_ANSWER`); waiting would hold
 * up the next message, and the healthy hosts in it, for the straggler.
 */
export const LET_GO = { floorMs: 250, factor: 3, capMs: FAST_PATH_TIMEOUT_MS } as const;
/** POSTs in flight at once: what one Workers invocation may hold open. */
export const CONNECTIONS = 6;
/**
 * Inboxes per delivery message, so that one consumer invocation fits the Workers Free plan's
 * 10 ms of CPU: a delivery costs the Worker about 1.1 to 1.7 ms under the profiler (an
 * RSA-2048 signature 0.6 to 0.75 ms of it; `bench:fanout` reads it from a V8 profile of the
 * isolate, the publishing request and fan-out spread over the deliveries), so a message of 32
 * took 35–45 ms. Six take about 7 to 10 ms: at the limit, not under it.
 * The price is queue operations: a post to 600 inboxes is about 100 messages (300 operations of
 * the free plan's 10,000 a day) rather than 22. Subrequests stay far under the free plan's 50.
 */
export const MAX_INBOXES_PER_MESSAGE = 6;
/**
 * POSTs a host's object makes in one alarm, one after the other (one connection per host):
 * as many as a delivery message holds, for the same CPU; more go in the next alarm.
 */
export const HELD_PER_RUN = MAX_INBOXES_PER_MESSAGE;
/**
 * Tries of one inbox that keeps answering "try later" (429, 503, 401, 408) before it is
 * recorded as failed; a host that fails outright is retried until it is given up (the
 * parking retention). A message whose consumer failed unexpectedly is retried by the queue
 * this many times more before it is dead-lettered (wrangler.toml's `max_retries`, which a
 * test checks against this).
 */
export const MAX_ATTEMPTS = 10;
/** The dead-letter queue's own retries (wrangler.toml), for recording what died. */
export const DEAD_LETTER_RETRIES = 3;
/**
 * The record of deliveries the consumer could not hand to their host's object: the only
 * retrying records the housekeeping sends through the queue again (the others are held by
 * their object, which it only wakes).
 */
export const OBJECT_UNREACHABLE = "host object unreachable";
/**
 * The record of a host a delivery message let go of while it was still sending (`LET_GO`):
 * replaced by its end once known; the housekeeping sends it through the queue again if that
 * never comes (the invocation ended first).
 */
export const AWAITING_ANSWER = "awaiting the answer";
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

/** Whether a 400 or 401 may mean "the other signature flavour, please". */
export const mayWantOtherFlavour = (outcome: DeliveryOutcome): boolean =>
  "status" in outcome && (outcome.status === 400 || outcome.status === 401);

/** How the delivery record names an outcome. */
export function describeOutcome(outcome: DeliveryOutcome): string {
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

/**
 * The backoff's base: its first wait is 4–8 s with the jitter, and later ones double. A
 * failure that came quickly, though (a refused or reset connection, an HTTP 5xx), is first
 * retried on a steady beat (`STEADY_TRIES`, every 3–5 s: half the base); a timeout skips ahead
 * (`TIMEOUT_SKIP`). The anchors: Fedify starts at 1 s and doubles, GoToSocial at 8 s, Mastodon
 * near 20 s. A quick failure is most often a restart or a deploy, over in seconds to a minute,
 * and a try costs the host next to nothing (no connection, or an error page at once): a steady
 * beat finds the host back within seconds, where doubling would find a 20 s outage at 20 to
 * 40 s. A timeout is the dear kind: the host holds each try's connection for the whole 10 s,
 * overloaded or hung, and trying it again soon adds to what sinks it.
 * `DEV_RETRY_BASE_MS` shortens all of it on a development instance.
 */
export const BASE_BACKOFF_MS = 8_000;
/**
 * Quick failures retried on the steady beat at the start of a host's streak (about 40 s of
 * a host that is down); after them the wait doubles as for any failure. They do not count
 * towards the circuit (`isOpen`).
 */
export const STEADY_TRIES = 10;
/**
 * Doublings a timeout (`DELIVERY_TIMEOUT_MS`, the consumer's and the host object's) skips:
 * its first wait is 16–32 s (Mastodon's first retry, about 20 s).
 */
export const TIMEOUT_SKIP = 2;
/** Backoff ceiling: a day. */
export const MAX_BACKOFF_MS = 24 * 3600_000;

export interface BackoffOptions {
  /** The first wait's ceiling, in ms; later ones double. Default `BASE_BACKOFF_MS` (8 s). */
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

/** The steady beat's wait: half the base, give or take a quarter (3–5 s). */
export function steadyMs(options: BackoffOptions = {}): number {
  const { baseMs = BASE_BACKOFF_MS, random = Math.random } = options;
  return Math.round((baseMs / 2) * (0.75 + random() / 2));
}

/** A wait as a queue delay: whole seconds, rounded up, at least one, at most what Queues take. */
const asQueueDelay = (ms: number): number =>
  Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(1, Math.ceil(ms / 1000)));

/** The backoff after `failures`, as a queue delay. */
export function backoffSeconds(failures: number, options: BackoffOptions = {}): number {
  return asQueueDelay(backoffMs(failures, options));
}

// ---------------------------------------------------------------- hosts

/** Consecutive host failures past the steady beat that open the circuit (Fedify: 5). */
export const BREAKER_THRESHOLD = 5;
/**
 * Doublings the backoff skips once the circuit is open: the next try of a host that failed
 * five times in a row past the steady beat comes 8.5 to 17 minutes later (Fedify holds an open circuit 30 minutes),
 * not one more doubling later, so that a dead host costs a handful of POSTs, not dozens.
 */
export const OPEN_CIRCUIT_SKIP = 3;
/** Separate days with failures that mark a host unavailable (Mastodon: 7). */
export const UNAVAILABLE_AFTER_DAYS = 7;
/** How long deliveries stay held by a failing host's object before they are recorded as failed. */
export const PARK_RETENTION_MS = 7 * 24 * 3600_000;

/** The day number (UTC) of a time: failures are counted per separate day. */
const dayOf = (time: Date): number => Math.floor(time.getTime() / 86_400_000);

/** What a host's object remembers of its failures. */
export interface HostRecord {
  readonly failures: number;
  /** The days (`dayOf`) with failures since the last answer. */
  readonly failureDays: readonly number[];
  /** While set, nothing is sent to the host before then (a backoff, or a `Retry-After`). */
  readonly retryAt: Date | null;
  readonly unavailable: boolean;
  /** The streak's leading quick failures, retried on the steady beat (`STEADY_TRIES`). */
  readonly steady: number;
}

export const HEALTHY: HostRecord = {
  failures: 0,
  failureDays: [],
  retryAt: null,
  unavailable: false,
  steady: 0,
};

/**
 * The circuit is open: the host has failed too often to be tried more than rarely (the
 * failures on the steady beat aside).
 */
export const isOpen = (record: HostRecord): boolean =>
  record.unavailable || record.failures - record.steady >= BREAKER_THRESHOLD;

/**
 * A failure that came at once: a refused or reset connection, an HTTP 5xx; not a timeout, nor
 * an error page that took as long to come (a proxy giving up on a hung upstream).
 */
const isQuick = (outcome: { readonly error: string; readonly slow?: boolean }): boolean =>
  outcome.error !== "timeout" && outcome.slow !== true;

export interface JudgeOptions extends BackoffOptions {
  readonly now: Date;
}

/**
 * A host's record after one of its answers (or its silence). Any answer of the host's own (a
 * delivery, or a 404, 410 or other refusal) resets it, and only that does: unlike Mastodon,
 * inbound traffic never does. "Try later" answers wait (as long as the host asked, at least
 * the first backoff) without counting against it; failures count, back off (a quick one at
 * the start of a streak on the steady beat), and open the circuit at the threshold or once
 * the host has failed on enough separate days.
 */
export function judgeAnswer(
  record: HostRecord,
  outcome: DeliveryOutcome,
  options: JudgeOptions,
): HostRecord {
  const now = options.now.getTime();
  switch (outcome.kind) {
    case "blocked":
      // Nothing was sent: the host said nothing.
      return record;
    case "delivered":
    case "gone":
    case "rejected":
      return HEALTHY;
    case "retry": {
      const asked = (outcome.retryAfter ?? 0) * 1000;
      const wait = Math.min(MAX_BACKOFF_MS, Math.max(asked, backoffMs(1, options)));
      return { ...record, retryAt: new Date(now + wait) };
    }
    case "hostFailure": {
      const failures = record.failures + 1;
      const failureDays = [...new Set([...record.failureDays, dayOf(options.now)])];
      const unavailable = record.unavailable || failureDays.length >= UNAVAILABLE_AFTER_DAYS;
      const onTheBeat =
        isQuick(outcome) &&
        !unavailable &&
        record.steady === record.failures &&
        record.steady < STEADY_TRIES;
      const steady = record.steady + (onTheBeat ? 1 : 0);
      const next = { failures, failureDays, retryAt: null, unavailable, steady };
      if (onTheBeat) return { ...next, retryAt: new Date(now + steadyMs(options)) };
      // The wait follows what the host did last: a 5xx after a timeout answered, at least.
      const counted = failures - steady;
      const doublings = isOpen(next)
        ? counted + OPEN_CIRCUIT_SKIP
        : counted + (isQuick(outcome) ? 0 : TIMEOUT_SKIP);
      return { ...next, retryAt: new Date(now + backoffMs(doublings, options)) };
    }
  }
}

/** Nothing more will be done for it: delivered, or refused for good. */
export const isFinal = (outcome: DeliveryOutcome): boolean =>
  outcome.kind !== "retry" && outcome.kind !== "hostFailure";

/** How much a failure says against its host: a timeout (or as slow), another failure, "later". */
const severity = (o: DeliveryOutcome): number => {
  if (o.kind === "hostFailure") return isQuick(o) ? 2 : 3;
  return o.kind === "retry" ? 1 : 0;
};

/**
 * Of answers that came at once (a host's inboxes POSTed side by side), the failure that says
 * the most against the host (`severity`; the first of equals), if any failed.
 */
export function worstFailure(outcomes: readonly DeliveryOutcome[]): DeliveryOutcome | undefined {
  let worst: DeliveryOutcome | undefined;
  for (const o of outcomes) {
    if (!isFinal(o) && (worst === undefined || severity(o) > severity(worst))) worst = o;
  }
  return worst;
}

/**
 * A host's record after answers that came at once: its answers first, then its worst failure,
 * counted once (six inboxes failing together are one failure of the host's, not six), and no
 * retry before any "try later" among them would wait alone (as long as it asked, the first
 * backoff at least).
 */
export function judgeAtOnce(
  record: HostRecord,
  outcomes: readonly DeliveryOutcome[],
  options: JudgeOptions,
): HostRecord {
  let next = record;
  for (const o of outcomes) if (isFinal(o)) next = judgeAnswer(next, o, options);
  const worst = worstFailure(outcomes);
  if (worst === undefined) return next;
  next = judgeAnswer(next, worst, options);
  for (const o of outcomes) {
    if (o === worst || o.kind !== "retry") continue;
    const asked = judgeAnswer(next, o, options).retryAt;
    if (asked !== null && (next.retryAt === null || asked > next.retryAt)) {
      next = { ...next, retryAt: asked };
    }
  }
  return next;
}

/**
 * What a host's answers say of it for the hosts page: reached when one delivery went through,
 * gone when every inbox tried there answered 404/410.
 */
export function contactOf(answers: readonly DeliveryOutcome[]): "reached" | "gone" | undefined {
  if (answers.some((o) => o.kind === "delivered")) return "reached";
  if (answers.length > 0 && answers.every((o) => o.kind === "gone")) return "gone";
  return undefined;
}
