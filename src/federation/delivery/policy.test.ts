/** The delivery policy, on its own: classification, backoff, a host's record. */
import { describe, expect, it } from "vitest";
import {
  BREAKER_THRESHOLD,
  backoffMs,
  backoffSeconds,
  classifyError,
  classifyResponse,
  type DeliveryOutcome,
  describeOutcome,
  HEALTHY,
  isOpen,
  judgeAnswer,
  judgeAtOnce,
  MAX_BACKOFF_MS,
  OPEN_CIRCUIT_SKIP,
  parseRetryAfter,
  STEADY_TRIES,
  steadyMs,
  TIMEOUT_SKIP,
  UNAVAILABLE_AFTER_DAYS,
  worstFailure,
} from "./policy";

const INBOX = "https://policy.test/inbox";
const now = new Date("2026-11-24T10:00:00Z");
const pinned = { now, random: () => 0 };
const failed: DeliveryOutcome = {
  kind: "hostFailure",
  inbox: INBOX,
  status: 500,
  error: "HTTP 500",
};
const timedOut: DeliveryOutcome = { kind: "hostFailure", inbox: INBOX, error: "timeout" };

describe("classification", () => {
  it.each([
    [200, "delivered"],
    [202, "delivered"],
    [404, "gone"],
    [410, "gone"],
    [429, "retry"],
    [503, "retry"],
    [401, "retry"],
    [408, "retry"],
    [400, "rejected"],
    [403, "rejected"],
    [422, "rejected"],
    [500, "hostFailure"],
    [502, "hostFailure"],
  ])("HTTP %d is %s", (status, kind) => {
    expect(classifyResponse(INBOX, new Response(null, { status }), new Date()).kind).toBe(kind);
  });

  it("reads Retry-After as seconds or as a date", () => {
    const now = new Date("2026-11-24T10:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter("Tue, 24 Nov 2026 10:05:00 GMT", now)).toBe(300);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    const busy = new Response(null, { status: 429, headers: { "Retry-After": "77" } });
    expect(classifyResponse(INBOX, busy, now)).toEqual({
      kind: "retry",
      inbox: INBOX,
      status: 429,
      retryAfter: 77,
    });
  });
});

describe("backoff", () => {
  it("grows exponentially, within half and all of 8 s × 2^(n-1), capped at a day", () => {
    for (let failures = 1; failures <= 20; failures++) {
      const ceiling = Math.min(MAX_BACKOFF_MS, 8_000 * 2 ** (failures - 1));
      expect(backoffMs(failures, { random: () => 0 })).toBe(ceiling / 2);
      expect(backoffMs(failures, { random: () => 0.999999 })).toBeLessThanOrEqual(ceiling);
      expect(backoffMs(failures, { random: () => 0.999999 })).toBeGreaterThan(ceiling * 0.99);
    }
    expect(backoffMs(30, { random: () => 1 })).toBe(MAX_BACKOFF_MS);
  });

  it("scales with its base, and as a queue delay is whole seconds, never zero", () => {
    expect(backoffMs(3, { baseMs: 1000, random: () => 0 })).toBe(2000);
    expect(backoffMs(3, { baseMs: 1000, random: () => 0.999999 })).toBeLessThanOrEqual(4000);
    expect(backoffSeconds(1, { baseMs: 100, random: () => 0 })).toBe(1);
    expect(backoffSeconds(2, { baseMs: 1000, random: () => 0.5 })).toBe(2);
    expect(backoffSeconds(1, { random: () => 0 })).toBe(4);
  });

  it("spreads retries (jitter): many draws differ", () => {
    const draws = new Set(Array.from({ length: 50 }, () => backoffMs(5)));
    expect(draws.size).toBeGreaterThan(40);
  });
});

describe("a host's record", () => {
  const at = (ms: number) => new Date(now.getTime() + ms);

  it("retries quick failures on a steady beat first, then backs off doubling from 4–8 s, and opens the circuit at the threshold", () => {
    let record = HEALTHY;
    // A 5xx or a refused connection: every 3–5 s for the first tries, not counted to the circuit.
    for (let n = 1; n <= STEADY_TRIES; n++) {
      record = judgeAnswer(record, n % 2 ? failed : { ...timedOut, error: "network error" }, {
        now,
        random: () => 0,
      });
      expect(record).toMatchObject({ failures: n, steady: n });
      expect(record.retryAt).toEqual(at(3_000));
      expect(isOpen(record)).toBe(false);
    }
    expect(steadyMs({ random: () => 0.999999 })).toBe(5_000);
    for (let n = 1; n < BREAKER_THRESHOLD; n++) {
      record = judgeAnswer(record, failed, pinned);
      expect(record).toMatchObject({ failures: STEADY_TRIES + n, steady: STEADY_TRIES });
      expect(record.retryAt).toEqual(at(4_000 * 2 ** (n - 1)));
      expect(isOpen(record)).toBe(false);
    }
    // Open: the wait skips ahead, so that a dead host is tried rarely (8.5 minutes at least).
    const open = judgeAnswer(record, failed, pinned);
    expect(isOpen(open)).toBe(true);
    const skipped = 4_000 * 2 ** (BREAKER_THRESHOLD - 1 + OPEN_CIRCUIT_SKIP);
    expect(open.retryAt).toEqual(at(skipped));
    expect(skipped).toBeGreaterThanOrEqual(8 * 60_000);
  });

  it("backs a timeout off further from the first, with no steady beat; the beat is a streak's start only", () => {
    let record = judgeAnswer(HEALTHY, timedOut, pinned);
    expect(record).toMatchObject({ failures: 1, steady: 0 });
    // 16–32 s: two doublings ahead.
    expect(record.retryAt).toEqual(at(4_000 * 2 ** TIMEOUT_SKIP));
    // A quick failure after a timeout: no beat (that is for a host just gone down), and the
    // wait follows what the host did last (it answered, at least).
    record = judgeAnswer(record, failed, pinned);
    expect(record).toMatchObject({ failures: 2, steady: 0 });
    expect(record.retryAt).toEqual(at(8_000));
    for (let n = 3; n <= BREAKER_THRESHOLD; n++) record = judgeAnswer(record, timedOut, pinned);
    expect(isOpen(record)).toBe(true);
    expect(record.retryAt).toEqual(at(4_000 * 2 ** (BREAKER_THRESHOLD - 1 + OPEN_CIRCUIT_SKIP)));
  });

  it("judges an error page that took as long as a timeout (a proxy's 504) as a timeout", () => {
    const late: DeliveryOutcome = { ...failed, status: 504, error: "HTTP 504", slow: true };
    const record = judgeAnswer(HEALTHY, late, pinned);
    expect(record).toMatchObject({ failures: 1, steady: 0 });
    expect(record.retryAt).toEqual(at(4_000 * 2 ** TIMEOUT_SKIP));
  });

  it("is reset by any answer of the host's own, even a refusal", () => {
    const down = { failures: 9, failureDays: [1, 2], retryAt: now, unavailable: true, steady: 3 };
    for (const answer of [
      { kind: "gone", inbox: INBOX, status: 410 },
      { kind: "rejected", inbox: INBOX, status: 403 },
      { kind: "delivered", inbox: INBOX, status: 202 },
    ] as const) {
      expect(judgeAnswer(down, answer, pinned)).toEqual(HEALTHY);
    }
    // Nothing sent, nothing said: the record stands.
    expect(judgeAnswer(down, { kind: "blocked", inbox: INBOX }, pinned)).toBe(down);
  });

  it("waits as long as Retry-After says (a day at most) without counting it as a failure", () => {
    const busy: DeliveryOutcome = { kind: "retry", inbox: INBOX, status: 429, retryAfter: 600 };
    expect(judgeAnswer(HEALTHY, busy, pinned)).toEqual({ ...HEALTHY, retryAt: at(600_000) });
    const open = { ...HEALTHY, failures: 5, retryAt: now };
    expect(judgeAnswer(open, busy, pinned)).toEqual({ ...open, retryAt: at(600_000) });
    // Without Retry-After, or a shorter one, the first backoff.
    const brief = { ...busy, retryAfter: 1 };
    expect(judgeAnswer(HEALTHY, brief, pinned).retryAt).toEqual(at(4_000));
    const forever = { ...busy, retryAfter: 10 ** 7 };
    expect(judgeAnswer(HEALTHY, forever, pinned).retryAt).toEqual(at(MAX_BACKOFF_MS));
  });

  it("marks a host failing on enough separate days unavailable, below the threshold too", () => {
    const day = Math.floor(now.getTime() / 86_400_000);
    const days = Array.from({ length: UNAVAILABLE_AFTER_DAYS - 1 }, (_, i) => day - 1 - i);
    const record = judgeAnswer({ ...HEALTHY, failures: 1, failureDays: days }, failed, pinned);
    expect(record).toMatchObject({ unavailable: true, failures: 2 });
    expect(isOpen(record)).toBe(true);
  });

  it("counts a timeout or a refused connection as a failure of the host", () => {
    const timeout = new DOMException("timed out", "TimeoutError");
    expect(classifyError(INBOX, timeout)).toEqual({
      kind: "hostFailure",
      inbox: INBOX,
      error: "timeout",
    });
    expect(classifyError(INBOX, new TypeError("refused"))).toMatchObject({
      error: "network error",
    });
    expect(judgeAnswer(HEALTHY, classifyError(INBOX, timeout), pinned).failures).toBe(1);
  });

  it("names each outcome for the delivery record", () => {
    expect(describeOutcome(failed)).toBe("HTTP 500");
    expect(describeOutcome({ kind: "gone", inbox: INBOX, status: 410 })).toBe("HTTP 410 (gone)");
    expect(describeOutcome({ kind: "blocked", inbox: INBOX })).toBe("address not allowed");
  });
});

describe("a host's answers that came at once", () => {
  const at = (n: number) => `https://policy.test/users/${n}/inbox`;
  const delivered = (n: number): DeliveryOutcome => ({
    kind: "delivered",
    inbox: at(n),
    status: 202,
  });
  const failing = (n: number): DeliveryOutcome => ({ ...failed, inbox: at(n) });
  const later = (n: number, retryAfter: number): DeliveryOutcome => ({
    kind: "retry",
    inbox: at(n),
    status: 429,
    retryAfter,
  });
  const slow504: DeliveryOutcome = {
    kind: "hostFailure",
    inbox: at(9),
    status: 504,
    error: "HTTP 504",
    slow: true,
  };

  it("count as one failure of the host's however many inboxes failed", () => {
    const record = judgeAtOnce(HEALTHY, [delivered(1), failing(2), failing(3), failing(4)], pinned);
    expect(record).toEqual(judgeAnswer(HEALTHY, failed, pinned));
    expect(record.failures).toBe(1);
  });

  it("are judged by the worst failure: a timeout, or as slow, over a quick one, whatever the order", () => {
    expect(worstFailure([failing(1), { ...timedOut, inbox: at(2) }])?.inbox).toBe(at(2));
    expect(worstFailure([failing(1), slow504, failing(3)])).toBe(slow504);
    expect(worstFailure([later(1, 60), failing(2)])?.inbox).toBe(at(2));
    expect(worstFailure([delivered(1), later(2, 60)])?.inbox).toBe(at(2));
    expect(worstFailure([delivered(1)])).toBeUndefined();
    // A slow failure skips the steady beat, as it would alone.
    const record = judgeAtOnce(HEALTHY, [failing(1), slow504], pinned);
    expect(record).toEqual(judgeAnswer(HEALTHY, slow504, pinned));
    expect(record.steady).toBe(0);
  });

  it("wait at least as long as a try-later among them asked, beside a failure", () => {
    const record = judgeAtOnce(HEALTHY, [failing(1), later(2, 3600), later(3, 60)], pinned);
    expect(record.failures).toBe(1);
    expect(record.retryAt?.getTime()).toBe(now.getTime() + 3600_000);
    // Asked less than the failure's own wait: the failure's holds.
    const short = judgeAtOnce(HEALTHY, [{ ...timedOut, inbox: at(1) }, later(2, 1)], pinned);
    expect(short).toEqual(judgeAnswer(HEALTHY, timedOut, pinned));
  });

  it("wait for a bare try-later as it would alone (the first backoff), beside a quick failure", () => {
    const bare: DeliveryOutcome = { kind: "retry", inbox: at(2), status: 503 };
    const record = judgeAtOnce(HEALTHY, [failing(1), bare], pinned);
    expect(record.failures).toBe(1);
    expect(record.retryAt).toEqual(judgeAnswer(HEALTHY, bare, pinned).retryAt);
  });

  it("of try-laters alone wait the longest asked, counting no failure; none leaves the record be", () => {
    const record = judgeAtOnce(HEALTHY, [later(1, 60), later(2, 600), later(3, 5)], pinned);
    expect(record).toMatchObject({ failures: 0, steady: 0 });
    expect(record.retryAt?.getTime()).toBe(now.getTime() + 600_000);
    const streak = judgeAnswer(HEALTHY, failed, pinned);
    expect(judgeAtOnce(streak, [], pinned)).toBe(streak);
  });

  it("read as before when only the last failed (a consumer of the previous release)", () => {
    const refused: DeliveryOutcome = { kind: "rejected", inbox: at(5), status: 403 };
    const gone: DeliveryOutcome = { kind: "gone", inbox: at(6), status: 410 };
    const blocked: DeliveryOutcome = { kind: "blocked", inbox: at(7) };
    for (const outcomes of [
      [delivered(1), delivered(2), failing(3)],
      [gone, refused, blocked, later(4, 60)],
      [blocked, { ...timedOut, inbox: at(8) }],
    ]) {
      const oneByOne = outcomes.reduce((r, o) => judgeAnswer(r, o, pinned), HEALTHY);
      expect(judgeAtOnce(HEALTHY, outcomes, pinned)).toEqual(oneByOne);
    }
  });
});
