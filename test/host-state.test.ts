/**
 * A host's object: what the queue consumer hands it (a host that failed, was too slow, or is
 * known to be failing), sent by the object itself, earliest published first, on the backoff;
 * the breaker; a host failing on seven separate days is unavailable; held deliveries expire.
 * The isolation it gives: a hung host never holds the consumer, or the healthy hosts of the
 * same or the next message, for its timeout. (Its storage's migrations:
 * `host-state-storage.test.ts`.)
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createContext } from "../src/context";
import { parseConfig } from "../src/env";
import {
  BREAKER_THRESHOLD,
  DELIVERY_TIMEOUT_MS,
  type DeliveryOutcome,
  HEALTHY,
  HELD_PER_RUN,
  STEADY_TRIES,
} from "../src/federation/delivery/policy";
import { HostState } from "../src/hosts/host-state";
import { Held } from "../src/hosts/parked";
import { sendHeld } from "../src/hosts/send-held";
import { deliveryFailures, hostStates } from "../src/storage/schema";
import { db } from "./helpers";
import {
  consume,
  consumeLooking,
  deliver,
  devVars,
  endWindow,
  hostState,
  openCircuit,
  pause,
  posts,
  runNow,
  seqOf,
  storedActivity,
} from "./support/delivery";
import { deliveriesAt, eventually, OWNER, serve } from "./support/remote";

const recordsAt = (host: string) =>
  db().select().from(deliveryFailures).where(eq(deliveryFailures.host, host));
const listed = async (host: string) =>
  (await db().select().from(hostStates).where(eq(hostStates.host, host)))[0];

describe("a hung host", () => {
  it("never holds the consumer for its timeout: the healthy hosts are delivered, the hung one is handed to its object, which delivers it once the host is back", {
    timeout: 40_000,
  }, async () => {
    const hung = "https://hung.isolation.test/inbox";
    const healthy = ["a", "b", "c"].map((h) => `https://${h}.isolation.test/inbox`);
    await serve({ url: hung, status: 202, body: {}, delayMs: DELIVERY_TIMEOUT_MS + 5_000 });
    const first = await storedActivity();
    const started = Date.now();
    const one = await consumeLooking(deliver(first, [hung, ...healthy]), async () => ({
      afterMs: Date.now() - started,
      healthy: await Promise.all(healthy.map(async (i) => (await deliveriesAt(i)).length)),
    }));
    // The message is done long before the hung inbox's timeout, the healthy hosts reached,
    // and acknowledged; the hung POST goes on after it, to its timeout.
    expect(one.seen.afterMs).toBeLessThan(DELIVERY_TIMEOUT_MS - 2_000);
    expect(one.seen.healthy).toEqual([1, 1, 1]);
    expect(one.result.explicitAcks).toHaveLength(1);
    expect(one.enqueued).toEqual([]);
    const stub = hostState("hung.isolation.test");
    expect(await stub.status()).toMatchObject({ parked: 1, failures: 1, slow: true });
    await pause(stub);
    expect(await recordsAt("hung.isolation.test")).toMatchObject([
      { activityId: first, state: "retrying", inboxes: [hung], lastError: "timeout" },
    ]);
    expect((await listed("hung.isolation.test"))?.state).toBe("backingOff");

    // The next post: the hung host is its object's now; the consumer does not even try it.
    const second = await storedActivity();
    const started2 = Date.now();
    await consume("outpost-delivery", deliver(second, [...healthy, hung]));
    expect(Date.now() - started2).toBeLessThan(DELIVERY_TIMEOUT_MS - 2_000);
    for (const inbox of healthy) expect(await deliveriesAt(inbox)).toHaveLength(2);
    expect(await posts(hung)).toHaveLength(1);
    expect((await stub.status()).parked).toBe(2);

    // The host answers again: its object sends both, in order, once each.
    await serve({ url: hung, status: 202, body: {} });
    await runNow(stub);
    // (The first POST, which the consumer stopped waiting for, reached the host too.)
    const delivered = (await deliveriesAt(hung)).slice(1);
    expect(delivered.map((a) => a.id)).toEqual([first, second]);
    expect(await stub.status()).toMatchObject({ parked: 0, failures: 0, slow: false });
    expect(await recordsAt("hung.isolation.test")).toEqual([]);
    // Fast again and holding nothing: back on the consumer's fast path.
    expect(await listed("hung.isolation.test")).toBeUndefined();
    for (const inbox of healthy) expect(await deliveriesAt(inbox)).toHaveLength(2);
  });
});

describe("a failing host", () => {
  it("is tried by its object one inbox at a time on the steady beat then the backoff, opens its breaker, holds what comes meanwhile, and sends it all in order when back", {
    timeout: 30_000,
  }, async () => {
    const host = "down.delivery.test";
    const inbox = `https://${host}/inbox`;
    const shared = `https://${host}/shared`;
    await serve({ url: inbox, status: 500, body: {} }, { url: shared, status: 500, body: {} });
    const stub = hostState(host);
    const ids = [await storedActivity()];
    await consume("outpost-delivery", deliver(ids[0] as string, [inbox, shared]));
    // The consumer sent both at once; the host is judged by one of the two 500s, not by each.
    expect(await posts(shared)).toHaveLength(1);
    expect(await stub.status()).toMatchObject({ failures: 1, parked: 2, circuit: "closed" });
    await pause(stub);
    // Each run of the object sends one POST while the host fails, until the breaker opens:
    // the steady tries first, then as many again as the breaker's threshold.
    const opensAt = STEADY_TRIES + BREAKER_THRESHOLD;
    for (let n = 2; n <= opensAt; n++) {
      expect((await stub.status()).circuit).toBe("closed");
      await runNow(stub);
      expect((await stub.status()).failures).toBe(n);
    }
    expect(await posts(inbox)).toHaveLength(opensAt);
    // The object tries one inbox a run while the host fails: the other waits.
    expect(await posts(shared)).toHaveLength(1);
    const status = await stub.status();
    expect(status).toMatchObject({ circuit: "open", parked: 2 });
    // Open: the next try is minutes away, not seconds.
    expect((status.nextAttemptAt?.getTime() ?? 0) - Date.now()).toBeGreaterThan(8 * 60_000);
    expect(await recordsAt(host)).toMatchObject([{ state: "parked", inboxes: [inbox, shared] }]);

    // More posts while it is down: handed over without a POST.
    for (let i = 0; i < 2; i++) {
      ids.push(await storedActivity());
      await consume("outpost-delivery", deliver(ids.at(-1) as string, [inbox]));
    }
    expect(await posts(inbox)).toHaveLength(opensAt);
    expect((await stub.status()).parked).toBe(4);

    // Back: the next run sends everything, in publication order.
    await serve({ url: inbox, status: 202, body: {} }, { url: shared, status: 202, body: {} });
    await runNow(stub);
    const accepted = (await deliveriesAt(inbox)).slice(opensAt);
    expect(accepted.map((a) => a.id)).toEqual(ids);
    // (The consumer's POST, answered 500, reached the host too.)
    expect((await deliveriesAt(shared)).slice(1).map((a) => a.id)).toEqual([ids[0]]);
    expect(await stub.status()).toMatchObject({ failures: 0, circuit: "closed", parked: 0 });
    expect(await recordsAt(host)).toEqual([]);
  });

  it("backs off on DEV_RETRY_BASE_MS's base on a development instance: seconds, not minutes", async () => {
    const failure = (host: string) => ({
      host,
      activityId: `${OWNER}/statuses/backoff/activity`,
      inboxes: [`https://${host}/inbox`],
      outcomes: [
        { inbox: `https://${host}/inbox`, kind: "hostFailure", status: 500, error: "HTTP 500" },
      ] satisfies DeliveryOutcome[],
    });
    const opensAt = STEADY_TRIES + BREAKER_THRESHOLD;
    /** Fails a host up to the breaker, through an object built over its storage with `vars`. */
    const failUntilOpen = (host: string, vars: Partial<Env>) =>
      runInDurableObject(hostState(host), async (_instance: HostState, state) => {
        const object = new HostState(state, { ...env, ...vars });
        const waits = [];
        for (let i = 0; i < opensAt; i++) {
          const { nextAttemptAt } = await object.hold(failure(host));
          waits.push(nextAttemptAt.getTime() - Date.now());
        }
        return { waits, status: await object.status() };
      });

    const deployed = await failUntilOpen("slow-backoff.delivery.test", {});
    const dev = await failUntilOpen("fast-backoff.delivery.test", devVars(1000));
    // The steady beat: 3–5 s, or 0.375–0.625 s on a 1 s base.
    for (const wait of deployed.waits.slice(0, STEADY_TRIES)) {
      expect(wait).toBeGreaterThanOrEqual(3_000 - 1_000);
      expect(wait).toBeLessThanOrEqual(5_000);
    }
    for (const wait of dev.waits.slice(0, STEADY_TRIES)) expect(wait).toBeLessThanOrEqual(625);
    // Then 8 s × 2^(n-1) (at least half of it), or 1 s × 2^(n-1).
    deployed.waits.slice(STEADY_TRIES, -1).forEach((wait, i) => {
      expect(wait).toBeGreaterThanOrEqual(4_000 * 2 ** i - 1_000);
      expect(wait).toBeLessThanOrEqual(8_000 * 2 ** i);
    });
    dev.waits.slice(STEADY_TRIES, -1).forEach((wait, i) => {
      expect(wait).toBeLessThanOrEqual(1_000 * 2 ** i);
    });
    // The last opens the breaker: 8.5 minutes at least, or at most 128 s.
    expect(deployed.status.circuit).toBe("open");
    expect(dev.status.circuit).toBe("open");
    expect(deployed.waits.at(-1)).toBeGreaterThan(8 * 60_000);
    expect(dev.waits.at(-1)).toBeLessThanOrEqual(128_000);
  });

  it("sends the earliest published first, whatever order it was handed them in", async () => {
    const host = "reordered.delivery.test";
    const inbox = `https://${host}/inbox`;
    await serve({ url: inbox, status: 202, body: {} });
    const a = await storedActivity();
    const b = await storedActivity({ type: "Update" });
    const c = await storedActivity({ type: "Delete" });
    const stub = hostState(host);
    // The host is down; B was handed over first.
    await openCircuit(stub, host);
    for (const activityId of [b, a, c]) {
      const activitySeq = await seqOf(activityId);
      expect(await stub.hold({ host, activityId, activitySeq, inboxes: [inbox] })).toMatchObject({
        state: "parked",
      });
    }
    expect((await stub.status()).parked).toBe(3);
    // The window passes with the host back: A, then B, then C.
    await endWindow(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const delivered = await eventually(async () => {
      const got = await deliveriesAt(inbox);
      return got.length >= 3 ? got : undefined;
    });
    expect(delivered.map((activity) => activity.id)).toEqual([a, b, c]);
    expect(await stub.status()).toMatchObject({ failures: 0, circuit: "closed", parked: 0 });
  });

  it("sends many held activities over several runs, in publication order; rows held before it was kept go first", {
    timeout: 30_000,
  }, async () => {
    const host = "many-parked.delivery.test";
    const inbox = `https://${host}/inbox`;
    await serve({ url: inbox, status: 202, body: {} });
    const old = await storedActivity();
    const published: string[] = [];
    for (let i = 0; i < 40; i++) published.push(await storedActivity());
    const stub = hostState(host);
    await runInDurableObject(stub, async (_instance: HostState, state) => {
      // Held newest first, after one row held before activity_seq existed.
      state.storage.sql.exec("UPDATE state SET host = ? WHERE k = 1", host);
      const hold =
        "INSERT INTO parked (activity_id, inbox, parked_at, activity_seq) VALUES (?, ?, ?, ?)";
      state.storage.sql.exec(hold, old, inbox, Date.now(), null);
      for (const activityId of published.toReversed()) {
        state.storage.sql.exec(hold, activityId, inbox, Date.now(), await seqOf(activityId));
      }
    });
    // A run sends at most HELD_PER_RUN, and leaves the rest to the next.
    await runInDurableObject(stub, async (_instance: HostState, state) => {
      const config = parseConfig(env);
      if (!config.ok) throw new Error("test vars");
      await sendHeld(
        { ...createContext(env, config.config) },
        {
          host,
          held: new Held(state.storage.sql),
          record: HEALTHY,
          flavour: "cavage",
          judging: () => ({ now: new Date() }),
        },
      );
    });
    expect(await posts(inbox)).toHaveLength(HELD_PER_RUN);
    expect((await stub.status()).parked).toBe(41 - HELD_PER_RUN);
    // The alarm takes the rest, run after run, without sending anything twice.
    await runNow(stub);
    await eventually(async () => (await stub.status()).parked === 0, 20_000);
    expect((await deliveriesAt(inbox)).map((a) => a.id)).toEqual([old, ...published]);
  });

  it("records the inboxes a host refused once the rest of their activity is delivered", async () => {
    const host = "mixed.delivery.test";
    const [ok, gone] = [`https://${host}/ok`, `https://${host}/gone`];
    await serve({ url: ok, status: 202, body: {} }, { url: gone, status: 410, body: {} });
    const activityId = await storedActivity();
    const stub = hostState(host);
    await openCircuit(stub, host);
    await stub.hold({
      host,
      activityId,
      activitySeq: await seqOf(activityId),
      inboxes: [gone, ok],
    });
    await runNow(stub);
    expect(await deliveriesAt(ok)).toHaveLength(1);
    expect(await recordsAt(host)).toMatchObject([
      { activityId, state: "failed", inboxes: [gone], lastError: "HTTP 410 (gone)" },
    ]);
    expect((await stub.status()).parked).toBe(0);
  });

  it("is marked unavailable after failing on seven separate days, and only a delivery resets it", async () => {
    const host = "dying.delivery.test";
    const stub = hostState(host);
    await runInDurableObject(stub, (_instance: HostState, state) => {
      const days = Array.from({ length: 6 }, (_, i) => Math.floor(Date.now() / 86_400_000) - 7 + i);
      state.storage.sql.exec(
        "UPDATE state SET host = ?, failures = 1, failure_days = ? WHERE k = 1",
        host,
        JSON.stringify(days),
      );
    });
    const holding = await stub.hold({
      host,
      activityId: "https://outpost.test/a/1",
      inboxes: [`https://${host}/inbox`],
      outcomes: [{ inbox: `https://${host}/inbox`, kind: "hostFailure", error: "timeout" }],
    });
    expect(holding.state).toBe("parked");
    expect(await stub.status()).toMatchObject({
      unavailable: true,
      failureDays: 7,
      circuit: "open",
    });
    // Traffic from the host (an inbound activity) changes nothing here; a delivery does.
    await stub.hold({
      host,
      activityId: "https://outpost.test/a/2",
      inboxes: [`https://${host}/inbox2`],
      outcomes: [{ inbox: `https://${host}/inbox`, kind: "delivered", status: 202 }],
    });
    expect(await stub.status()).toMatchObject({
      unavailable: false,
      failures: 0,
      circuit: "closed",
    });
  });

  it("records as failed what it held past the retention", async () => {
    const host = "expired.delivery.test";
    const stub = hostState(host);
    const activityId = await storedActivity();
    await runInDurableObject(stub, (_instance: HostState, state) => {
      state.storage.sql.exec(
        "UPDATE state SET host = ?, failures = 9, open_until = ? WHERE k = 1",
        host,
        Date.now() + 3600_000,
      );
      state.storage.sql.exec(
        "INSERT INTO parked (activity_id, inbox, parked_at) VALUES (?, ?, ?)",
        activityId,
        `https://${host}/inbox`,
        Date.now() - 8 * 24 * 3600_000,
      );
    });
    await stub.hold({ host, activityId, inboxes: [`https://${host}/inbox2`] });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // The other inbox of the activity is still held: not settled yet.
    expect((await stub.status()).parked).toBe(1);
    expect((await recordsAt(host)).map((r) => r.state)).toEqual(["parked"]);
    // Once it is delivered, the record keeps the one that expired, as failed, and why.
    await runNow(stub);
    expect(await recordsAt(host)).toMatchObject([
      {
        activityId,
        state: "failed",
        inboxes: [`https://${host}/inbox`],
        lastError: expect.stringMatching(/retention/),
      },
    ]);
    expect((await stub.status()).parked).toBe(0);
  });
});
