/**
 * A delivery message does not wait for its slowest host: once the others are done and the
 * straggler has had a few times as long (`LET_GO`), the message is recorded and acknowledged,
 * and the straggler's POST goes on after it, in the invocation's `waitUntil`, under a record
 * that the housekeeping would send again were its end never recorded.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { AWAITING_ANSWER, FAST_PATH_TIMEOUT_MS } from "../src/federation/delivery/policy";
import { deliveryFailures, hostStates } from "../src/storage/schema";
import { db } from "./helpers";
import {
  consumeLooking,
  deliver,
  hostState,
  pause,
  posts,
  storedActivity,
} from "./support/delivery";
import { counterSum } from "./support/metrics";
import { deliveriesAt, eventually, serve } from "./support/remote";

const recordsAt = (host: string) =>
  db().select().from(deliveryFailures).where(eq(deliveryFailures.host, host));

describe("a straggler", () => {
  it("is let go of: the message is acknowledged before a slow host answers, whose answer is recorded after, sent once", async () => {
    const slow = "https://slow.stragglers.test/inbox";
    const fast = ["a", "b"].map((h) => `https://${h}.stragglers.test/inbox`);
    // Slow, but within the fast path's timeout: it is delivered by the consumer, not handed over.
    await serve({ url: slow, status: 202, body: {}, delayMs: FAST_PATH_TIMEOUT_MS / 2 });
    const activity = await storedActivity();
    const delivered = () => counterSum("activitypub_deliveries_total", { result: "delivered" });
    const before = await delivered();
    const { seen, result } = await consumeLooking(deliver(activity, [slow, ...fast]), async () => ({
      fast: await Promise.all(fast.map(async (inbox) => (await deliveriesAt(inbox)).length)),
      slowPosts: (await posts(slow)).length,
      slowRecords: await recordsAt("slow.stragglers.test"),
    }));
    // When the handler was done: the fast hosts had it; the slow one had the POST, unanswered,
    // and a record covered it.
    expect(seen.fast).toEqual([1, 1]);
    expect(seen.slowPosts).toBe(1);
    expect(seen.slowRecords).toMatchObject([
      { activityId: activity, state: "retrying", inboxes: [slow], lastError: AWAITING_ANSWER },
    ]);
    expect(result.explicitAcks).toHaveLength(1);
    // Its answer came after, and was recorded: delivered, once, by the consumer alone.
    expect(await deliveriesAt(slow)).toHaveLength(1);
    expect(await recordsAt("slow.stragglers.test")).toEqual([]);
    expect(await hostState("slow.stragglers.test").status()).toMatchObject({
      parked: 0,
      failures: 0,
    });
    expect(
      await db().select().from(hostStates).where(eq(hostStates.host, "slow.stragglers.test")),
    ).toEqual([]);
    // The invocation's metrics count it too: they are handed over once the straggler ends.
    expect(await eventually(async () => (await delivered()) === before + 3 || undefined)).toBe(
      true,
    );
  });

  it("that does not answer in time is handed to its object after the message let go of it, which records it", {
    timeout: 30_000,
  }, async () => {
    const hung = "https://hung.stragglers.test/inbox";
    await serve({ url: hung, status: 202, body: {}, delayMs: 15_000 });
    const activity = await storedActivity();
    const stub = hostState("hung.stragglers.test");
    const { seen } = await consumeLooking(
      deliver(activity, [hung, "https://c.stragglers.test/inbox"]),
      () => recordsAt("hung.stragglers.test"),
    );
    expect(seen).toMatchObject([{ state: "retrying", lastError: AWAITING_ANSWER }]);
    // The consumer's POST timed out (after the message); the host's object has the delivery.
    await pause(stub);
    expect(await stub.status()).toMatchObject({ parked: 1, failures: 1 });
    expect(await recordsAt("hung.stragglers.test")).toMatchObject([
      { activityId: activity, state: "retrying", inboxes: [hung], lastError: "timeout" },
    ]);
    expect(await posts(hung)).toHaveLength(1);
  });

  it("that answers, but slower than the fast path allows, has its inboxes delivered side by side, and is remembered as slow", {
    timeout: 20_000,
  }, async () => {
    const host = "sluggish.stragglers.test";
    const [first, second] = [`https://${host}/a/inbox`, `https://${host}/b/inbox`];
    await serve(
      { url: first, status: 202, body: {}, delayMs: FAST_PATH_TIMEOUT_MS + 500 },
      { url: second, status: 202, body: {} },
    );
    const activity = await storedActivity();
    const holds = () => counterSum("outpost_do_calls_total", { method: "hold" });
    const before = await holds();
    await consumeLooking(deliver(activity, [first, second]), async () => undefined);
    // Both went from the consumer at once, each delivered once; nothing was handed over, and
    // the host's object serves it next time.
    expect(await deliveriesAt(first)).toHaveLength(1);
    expect(await deliveriesAt(second)).toHaveLength(1);
    expect(await posts(second)).toHaveLength(1);
    expect(await holds()).toBe(before);
    expect(await hostState(host).status()).toMatchObject({ slow: true, parked: 0, failures: 0 });
  });

  it("leaves a record already there (its object's, say) as it is, and clears it once delivered", async () => {
    const slow = "https://kept.stragglers.test/inbox";
    await serve({ url: slow, status: 202, body: {}, delayMs: FAST_PATH_TIMEOUT_MS / 2 });
    const activity = await storedActivity();
    const at = new Date();
    await db()
      .insert(deliveryFailures)
      .values({
        activityId: activity,
        host: "kept.stragglers.test",
        state: "retrying",
        inboxes: [slow],
        attempts: 3,
        lastError: "HTTP 500",
        nextAttemptAt: at,
        updatedAt: at,
      });
    const { seen } = await consumeLooking(
      deliver(activity, [slow, "https://d.stragglers.test/inbox"]),
      () => recordsAt("kept.stragglers.test"),
    );
    expect(seen).toMatchObject([{ lastError: "HTTP 500", attempts: 3 }]);
    expect(await recordsAt("kept.stragglers.test")).toEqual([]);
  });

  it("that fails as slowly as a timeout (a proxy's 504) is not retried on the steady beat", {
    timeout: 20_000,
  }, async () => {
    const host = "gateway.stragglers.test";
    const inbox = `https://${host}/inbox`;
    await serve({ url: inbox, status: 504, body: {}, delayMs: FAST_PATH_TIMEOUT_MS + 500 });
    const activity = await storedActivity();
    await consumeLooking(deliver(activity, [inbox]), async () => undefined);
    const status = await hostState(host).status();
    expect(status).toMatchObject({ failures: 1, parked: 1 });
    // A timeout's first wait (16–32 s), not the beat's 3–5 s.
    expect((status.nextAttemptAt?.getTime() ?? 0) - Date.now()).toBeGreaterThan(10_000);
  });

  it("once let go of, finishes its POSTs under way, all sent side by side, and records them", {
    timeout: 20_000,
  }, async () => {
    const host = "longer.stragglers.test";
    const [first, second] = [`https://${host}/a/inbox`, `https://${host}/b/inbox`];
    // Under the fast path's patience, but well past the message's wait for it.
    await serve(
      { url: first, status: 202, body: {}, delayMs: FAST_PATH_TIMEOUT_MS / 2 },
      { url: second, status: 202, body: {}, delayMs: FAST_PATH_TIMEOUT_MS / 2 },
    );
    const activity = await storedActivity();
    const holds = () => counterSum("outpost_do_calls_total", { method: "hold" });
    const before = await holds();
    const { seen } = await consumeLooking(
      deliver(activity, [first, second, "https://e.stragglers.test/inbox"]),
      () => recordsAt(host),
    );
    // Let go of with both POSTs under way: recorded as awaiting their answers, then delivered.
    expect(seen).toMatchObject([{ lastError: AWAITING_ANSWER }]);
    expect(await eventually(async () => (await recordsAt(host)).length === 0 || undefined)).toBe(
      true,
    );
    expect(await deliveriesAt(first)).toHaveLength(1);
    expect(await deliveriesAt(second)).toHaveLength(1);
    expect(await posts(second)).toHaveLength(1);
    expect(await holds()).toBe(before);
  });

  it("with one inbox, answering slower than the fast path allows, is remembered as slow: its object serves it next", {
    timeout: 20_000,
  }, async () => {
    const host = "single.stragglers.test";
    const inbox = `https://${host}/inbox`;
    await serve({ url: inbox, status: 202, body: {}, delayMs: FAST_PATH_TIMEOUT_MS + 500 });
    const activity = await storedActivity();
    await consumeLooking(deliver(activity, [inbox]), async () => undefined);
    expect(await deliveriesAt(inbox)).toHaveLength(1);
    expect(await hostState(host).status()).toMatchObject({ slow: true, parked: 0 });
    const [listed] = await db().select().from(hostStates).where(eq(hostStates.host, host));
    expect(listed?.state).toBe("slow");
  });
});
