/**
 * The per-host state: the breaker opens after repeated failures, deliveries park while it is
 * open, one probe per window, and what was parked drains in publication order on recovery;
 * a host failing on seven separate days is unavailable; parked deliveries expire. (Its
 * storage's migrations: `host-state-storage.test.ts`.)
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { BREAKER_THRESHOLD, type DeliveryOutcome } from "../src/federation/delivery/policy";
import type { DeliverMessage } from "../src/federation/queue/messages";
import { HostState } from "../src/hosts/host-state";
import { deliveryFailures } from "../src/storage/schema";
import { db } from "./helpers";
import {
  consume,
  deliver,
  devVars,
  endWindow,
  hostState,
  openCircuit,
  posts,
  recordingQueue,
  seqOf,
  storedActivity,
} from "./support/delivery";
import { deliveriesAt, eventually, OWNER, serve } from "./support/remote";

describe("a failing host", () => {
  it("opens its breaker after repeated failures, parks deliveries, probes once per window, and drains in order on recovery", {
    timeout: 30_000,
  }, async () => {
    const host = "down.delivery.test";
    const inbox = `https://${host}/inbox`;
    await serve({ url: inbox, status: 500, body: {} });
    const stub = hostState(host);
    const ids: string[] = [];
    for (let i = 0; i < BREAKER_THRESHOLD; i++) {
      ids.push(await storedActivity());
      await consume("outpost-delivery", deliver(ids[i] as string, [inbox]));
    }
    let status = await stub.status();
    expect(status).toMatchObject({ failures: BREAKER_THRESHOLD, circuit: "open", parked: 1 });
    expect(status.nextAttemptAt?.getTime()).toBeGreaterThan(Date.now());

    // While open, deliveries are parked, not sent.
    const before = (await posts(inbox)).length;
    for (let i = 0; i < 3; i++) {
      ids.push(await storedActivity());
      await consume("outpost-delivery", deliver(ids.at(-1) as string, [inbox]));
    }
    expect((await posts(inbox)).length).toBe(before);
    status = await stub.status();
    expect(status.parked).toBe(4);
    const parkedRows = await db()
      .select()
      .from(deliveryFailures)
      .where(eq(deliveryFailures.host, host));
    expect(parkedRows.filter((r) => r.state === "parked")).toHaveLength(4);

    // The window passes while the host is still down: one probe, which fails; it stays open.
    await endWindow(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await eventually(async () => (await posts(inbox)).length === before + 1);
    await eventually(async () => (await stub.status()).failures === BREAKER_THRESHOLD + 1);
    expect((await stub.status()).circuit).toBe("open");
    expect((await stub.status()).parked).toBe(4);

    // The host recovers; the next probe succeeds and everything parked drains, in order.
    const failedPosts = (await posts(inbox)).length;
    await serve({ url: inbox, status: 202, body: {} });
    await runInDurableObject(stub, (_instance: HostState, state) => {
      state.storage.sql.exec(
        "UPDATE state SET open_until = ?, probe_started_at = NULL WHERE k = 1",
        Date.now() - 1,
      );
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const delivered = await eventually(async () => {
      const got = (await deliveriesAt(inbox)).slice(failedPosts);
      return got.length >= 4 ? got : undefined;
    }, 20_000);
    // In the order they were parked (the probe's own delivery first, then the rest).
    expect(delivered.map((a) => a.id)).toEqual([
      ids[BREAKER_THRESHOLD - 1],
      ...ids.slice(BREAKER_THRESHOLD),
    ]);
    status = await stub.status();
    expect(status).toMatchObject({ failures: 0, circuit: "closed", parked: 0 });
    await eventually(async () => {
      const rows = await db()
        .select()
        .from(deliveryFailures)
        .where(eq(deliveryFailures.host, host));
      return rows.every((r) => r.state !== "parked") ? true : undefined;
    });
  });

  it("backs off on DEV_RETRY_BASE_MS's base on a development instance: seconds, not minutes", async () => {
    const failure = (host: string) => ({
      host,
      activityId: `${OWNER}/statuses/backoff/activity`,
      outcomes: [
        { inbox: `https://${host}/inbox`, kind: "hostFailure", status: 500, error: "HTTP 500" },
      ] satisfies DeliveryOutcome[],
    });
    /** Fails a host up to the breaker, through an object built over its storage with `vars`. */
    const failUntilOpen = (host: string, vars: Partial<Env>) =>
      runInDurableObject(hostState(host), async (_instance: HostState, state) => {
        const object = new HostState(state, { ...env, ...vars });
        const answers = [];
        for (let i = 0; i < BREAKER_THRESHOLD; i++)
          answers.push(await object.reportOutcomes(failure(host)));
        return {
          delays: answers.map((a) => a.retry.delaySeconds),
          status: await object.status(),
        };
      });

    const deployed = await failUntilOpen("slow-backoff.delivery.test", {});
    const dev = await failUntilOpen("fast-backoff.delivery.test", devVars(1000));
    // Failures 1 to 4 are retried after 30 s × 2^(n-1) (at least half of it), or 1 s × 2^(n-1).
    deployed.delays.slice(0, -1).forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(15 * 2 ** i);
    });
    dev.delays.slice(0, -1).forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(1);
      expect(delay).toBeLessThanOrEqual(2 ** i);
    });
    // The fifth opens the breaker: for at least 240 s, or at most 16 s.
    expect(deployed.status.circuit).toBe("open");
    expect(dev.status.circuit).toBe("open");
    expect((deployed.status.nextAttemptAt?.getTime() ?? 0) - Date.now()).toBeGreaterThan(230_000);
    expect(dev.status.nextAttemptAt).not.toBeNull();
    expect((dev.status.nextAttemptAt?.getTime() ?? 0) - Date.now()).toBeLessThanOrEqual(16_000);
  });

  it("probes with, and drains from, the earliest published of what was parked, whatever order it was parked in", {
    timeout: 30_000,
  }, async () => {
    const host = "reordered.delivery.test";
    const inbox = `https://${host}/inbox`;
    await serve({ url: inbox, status: 202, body: {} });
    const a = await storedActivity();
    const b = await storedActivity({ type: "Update" });
    const c = await storedActivity({ type: "Delete" });
    const stub = hostState(host);
    // The host is down; each activity's retries gave up at their own moment: B parked first.
    await openCircuit(stub, host);
    for (const activityId of [b, a, c]) {
      const activitySeq = await seqOf(activityId);
      expect(await stub.admit({ host, activityId, activitySeq, inboxes: [inbox] })).toMatchObject({
        send: false,
      });
    }
    expect((await stub.status()).parked).toBe(3);

    // The window passes with the host back: the probe is A, and B and C follow it.
    await endWindow(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const delivered = await eventually(async () => {
      const got = await deliveriesAt(inbox);
      return got.length >= 3 ? got : undefined;
    }, 20_000);
    expect(delivered.map((activity) => activity.id)).toEqual([a, b, c]);
    expect(await stub.status()).toMatchObject({ failures: 0, circuit: "closed", parked: 0 });
  });

  it("drains many parked activities in publication order; rows parked before it was kept go first", async () => {
    const host = "many-parked.delivery.test";
    const inbox = `https://${host}/inbox`;
    const published: string[] = [];
    for (let i = 0; i < 40; i++) published.push(await storedActivity());
    const old = `${OWNER}/statuses/old/activity`;
    const { queue, enqueued } = recordingQueue();
    await runInDurableObject(hostState(host), async (_instance: HostState, state) => {
      // Parked newest first, after one row parked before activity_seq existed.
      state.storage.sql.exec(
        "INSERT INTO parked (activity_id, inbox, parked_at) VALUES (?, ?, ?)",
        old,
        inbox,
        Date.now(),
      );
      for (const activityId of published.toReversed()) {
        state.storage.sql.exec(
          "INSERT INTO parked (activity_id, inbox, parked_at, activity_seq) VALUES (?, ?, ?, ?)",
          activityId,
          inbox,
          Date.now(),
          await seqOf(activityId),
        );
      }
      // Another activity reaches the host: it is back, and what was parked drains.
      await new HostState(state, { ...env, DELIVERY_QUEUE: queue }).reportOutcomes({
        host,
        activityId: `${OWNER}/statuses/fresh/activity`,
        outcomes: [{ inbox, kind: "delivered", status: 202 }],
      });
    });
    expect(enqueued.map((m) => (m.body as DeliverMessage).activityId)).toEqual([old, ...published]);
    expect((await hostState(host).status()).parked).toBe(0);
  });

  it("parks a delivery that comes after the backoff window while earlier ones wait, and probes with those", async () => {
    const host = "late-comer.delivery.test";
    const inbox = `https://${host}/inbox`;
    const [first, later] = [await storedActivity(), await storedActivity()];
    const stub = hostState(host);
    await openCircuit(stub, host);
    await stub.admit({
      host,
      activityId: first,
      activitySeq: await seqOf(first),
      inboxes: [inbox],
    });
    await endWindow(stub);
    // The window is over, but `first` waits: `later` may not overtake it as the probe.
    const admission = await stub.admit({
      host,
      activityId: later,
      activitySeq: await seqOf(later),
      inboxes: [inbox],
    });
    expect(admission.send).toBe(false);
    expect((await stub.status()).parked).toBe(2);
    const { queue, enqueued } = recordingQueue();
    await runInDurableObject(stub, (_instance: HostState, state) =>
      new HostState(state, { ...env, DELIVERY_QUEUE: queue }).alarm(),
    );
    expect(enqueued.map((m) => m.body)).toEqual([
      { v: 1, type: "deliver", activityId: first, inboxes: [inbox], probe: true },
    ]);
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
    const answer = await stub.reportOutcomes({
      host,
      activityId: "https://outpost.test/a/1",
      outcomes: [{ inbox: `https://${host}/inbox`, kind: "hostFailure", error: "timeout" }],
    });
    expect(answer.park.inboxes).toEqual([`https://${host}/inbox`]);
    expect(await stub.status()).toMatchObject({
      unavailable: true,
      failureDays: 7,
      circuit: "open",
    });
    // Traffic from the host (an inbound activity) changes nothing here; a delivery does.
    await stub.reportOutcomes({
      host,
      activityId: "https://outpost.test/a/2",
      outcomes: [{ inbox: `https://${host}/inbox`, kind: "delivered", status: 202 }],
    });
    expect(await stub.status()).toMatchObject({
      unavailable: false,
      failures: 0,
      circuit: "closed",
    });
  });

  it("records as failed what stayed parked past the retention", async () => {
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
    await stub.admit({ host, activityId, inboxes: [`https://${host}/inbox2`] });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const [row] = await db().select().from(deliveryFailures).where(eq(deliveryFailures.host, host));
    expect(row).toMatchObject({
      state: "failed",
      activityId,
      lastError: expect.stringMatching(/retention/),
    });
    expect((await stub.status()).parked).toBe(1);
  });
});
