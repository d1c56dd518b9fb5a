/** The delivery policy, on its own: classification, backoff, a host's verdict, the record. */
import { describe, expect, it } from "vitest";
import {
  BREAKER_THRESHOLD,
  backoffMs,
  backoffSeconds,
  classifyError,
  classifyResponse,
  type DeliveryOutcome,
  HEALTHY,
  judgeHost,
  MAX_ATTEMPTS,
  MAX_BACKOFF_MS,
  MAX_QUEUE_DELAY_SECONDS,
  parseRetryAfter,
  settleHost,
  UNAVAILABLE_AFTER_DAYS,
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
  it("grows exponentially, within half and all of 30 s × 2^(n-1), capped at a day", () => {
    for (let failures = 1; failures <= 20; failures++) {
      const ceiling = Math.min(MAX_BACKOFF_MS, 30_000 * 2 ** (failures - 1));
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
    expect(backoffSeconds(1, { random: () => 0 })).toBe(15);
  });

  it("spreads retries (jitter): many draws differ", () => {
    const draws = new Set(Array.from({ length: 50 }, () => backoffMs(5)));
    expect(draws.size).toBeGreaterThan(40);
  });
});

describe("a host's verdict", () => {
  it("counts failures, retries on the backoff, and opens the circuit at the threshold", () => {
    let record = HEALTHY;
    for (let n = 1; n < BREAKER_THRESHOLD; n++) {
      const verdict = judgeHost(record, [failed], pinned);
      expect(verdict.record.failures).toBe(n);
      expect(verdict.retry).toEqual({ inboxes: [INBOX], delaySeconds: 15 * 2 ** (n - 1) });
      expect(verdict.park.inboxes).toEqual([]);
      record = verdict.record;
    }
    const open = judgeHost(record, [failed], pinned);
    expect(open.record.openUntil).toEqual(new Date(now.getTime() + 15_000 * 2 ** 4));
    expect(open.retry.inboxes).toEqual([]);
    expect(open.park).toEqual({ inboxes: [INBOX], wakeAt: open.record.openUntil });
  });

  it("is reset by an answer, even a refusal, and retries the rest soon", () => {
    const down = { failures: 9, failureDays: [1, 2], openUntil: now, unavailable: true };
    const gone: DeliveryOutcome = { kind: "gone", inbox: "https://policy.test/a", status: 410 };
    const verdict = judgeHost(down, [gone, failed], pinned);
    expect(verdict).toMatchObject({ record: HEALTHY, recovered: true });
    expect(verdict.retry).toEqual({ inboxes: [INBOX], delaySeconds: 15 });
  });

  it("waits as long as Retry-After says without counting it as a failure, parking while open", () => {
    const busy: DeliveryOutcome = { kind: "retry", inbox: INBOX, status: 429, retryAfter: 600 };
    expect(judgeHost(HEALTHY, [busy], pinned)).toMatchObject({
      record: HEALTHY,
      retry: { inboxes: [INBOX], delaySeconds: 600 },
    });
    const open = { ...HEALTHY, failures: 5, openUntil: now };
    expect(judgeHost(open, [busy], pinned)).toMatchObject({
      record: open,
      retry: { inboxes: [] },
      park: { inboxes: [INBOX], wakeAt: new Date(now.getTime() + 600_000) },
    });
    // A queue delay has its cap; the host object's own alarm waits as long as it was told.
    const forever = { ...busy, retryAfter: 10 ** 7 };
    expect(judgeHost(HEALTHY, [forever], pinned).retry.delaySeconds).toBe(MAX_QUEUE_DELAY_SECONDS);
    expect(judgeHost(open, [forever], pinned).park.wakeAt).toEqual(
      new Date(now.getTime() + 10 ** 10),
    );
  });

  it("marks a host failing on enough separate days unavailable, below the threshold too", () => {
    const day = Math.floor(now.getTime() / 86_400_000);
    const days = Array.from({ length: UNAVAILABLE_AFTER_DAYS - 1 }, (_, i) => day - 1 - i);
    const verdict = judgeHost({ ...HEALTHY, failures: 1, failureDays: days }, [failed], pinned);
    expect(verdict.record).toMatchObject({ unavailable: true, failures: 2 });
    expect(verdict.park.inboxes).toEqual([INBOX]);
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
  });
});

describe("the record of a host's delivery", () => {
  const nothing = { retry: { inboxes: [], delaySeconds: 0 }, park: { inboxes: [] } };

  it("is reached when every inbox took it, failed for good when one refused", () => {
    const ok: DeliveryOutcome = { kind: "delivered", inbox: "https://policy.test/ok", status: 202 };
    expect(settleHost([ok], nothing, 1)).toEqual({ state: "reached" });
    const refused: DeliveryOutcome = { kind: "rejected", inbox: INBOX, status: 403 };
    expect(settleHost([ok, refused], nothing, 1)).toEqual({
      state: "failed",
      inboxes: [INBOX],
      error: "HTTP 403 (rejected)",
    });
  });

  it("never drops an inbox to retry because another of its host's is gone", () => {
    const gone: DeliveryOutcome = { kind: "gone", inbox: "https://policy.test/a", status: 410 };
    const retry = { inboxes: [INBOX], delaySeconds: 15 };
    expect(settleHost([gone, failed], { ...nothing, retry }, 1)).toEqual({
      state: "retrying",
      inboxes: [INBOX],
      error: "HTTP 500",
      delaySeconds: 15,
    });
  });

  it("gives up after the last attempt, and says so", () => {
    const retry = { inboxes: [INBOX], delaySeconds: 15 };
    expect(settleHost([failed], { ...nothing, retry }, MAX_ATTEMPTS)).toEqual({
      state: "failed",
      inboxes: [INBOX],
      error: `gave up after ${MAX_ATTEMPTS} attempts: HTTP 500`,
    });
    expect(settleHost([failed], { ...nothing, park: { inboxes: [INBOX] } }, 1)).toMatchObject({
      state: "parked",
    });
  });
});
