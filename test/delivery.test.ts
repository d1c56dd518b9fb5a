/**
 * The delivery pipeline: classification, backoff, the per-host breaker with parking and
 * drain, double-knock, redelivery, retries of failed inboxes alone, the dead-letter record,
 * and fan-out to many followers within the platform's limits.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { classifyResponse, parseRetryAfter } from "../src/federation/deliver";
import {
  FANOUT_PAGE,
  fanOut,
  MAX_HOSTS_PER_MESSAGE,
  MAX_INBOXES_PER_MESSAGE,
  packInboxes,
} from "../src/federation/fanout";
import type {
  DeliverMessage,
  FanoutMessage,
  FetchObjectMessage,
  QueueMessage,
} from "../src/federation/messages";
import { type DeliveryResult, HostState } from "../src/hosts/host-state";
import { Parked } from "../src/hosts/parked";
import { BREAKER_THRESHOLD, backoffMs, backoffSeconds, MAX_BACKOFF_MS } from "../src/hosts/policy";
import worker from "../src/index";
import { actors, deliveryBatches, deliveryFailures, follows, outbox } from "../src/storage/schema";
import { db, testConfig } from "./helpers";
import { deliveriesAt, eventually, OWNER, PUBLIC, received, serve } from "./support/remote";

const config = testConfig();

let sequence = 0;
/** Stores a public activity of the owner, as publishing would, and returns its id. */
async function storedActivity(extra: Record<string, unknown> = {}): Promise<string> {
  const id = `${OWNER}/statuses/${9_000_000 + ++sequence}/activity`;
  await db()
    .insert(outbox)
    .values({
      id,
      actor: OWNER,
      type: "Create",
      objectId: id.replace("/activity", ""),
      visibility: "public",
      payload: {
        id,
        type: "Create",
        actor: OWNER,
        to: [PUBLIC],
        cc: [`${OWNER}/followers`],
        object: { id: id.replace("/activity", ""), type: "Note", content: `<p>${sequence}</p>` },
        ...extra,
      },
      published: new Date(),
      fannedOutAt: new Date(),
    });
  return id;
}

/** The outbox position of a stored activity. */
async function seqOf(id: string): Promise<number> {
  const [row] = await db().select({ seq: outbox.seq }).from(outbox).where(eq(outbox.id, id));
  if (row === undefined) throw new Error(`no activity ${id}`);
  return row.seq;
}

/** A queue that records what is sent to it, instead of sending it. */
function recordingQueue(): { queue: Queue; enqueued: MessageSendRequest[] } {
  const enqueued: MessageSendRequest[] = [];
  const queue = {
    send: async (body: unknown, options?: QueueSendOptions) =>
      void enqueued.push({ body, ...options }),
    sendBatch: async (messages: Iterable<MessageSendRequest>) => void enqueued.push(...messages),
  } as unknown as Queue;
  return { queue, enqueued };
}

/** The vars of a development instance on loopback whose backoff starts at `ms`. */
const devVars = (ms: number) => ({
  PUBLIC_ORIGIN: "http://localhost:8787",
  DEV_FEDERATION: "true",
  DEV_RETRY_BASE_MS: String(ms),
});

/**
 * Runs the consumer on messages, as the queue would. What it enqueues (retries) is recorded
 * instead of sent, so that a test sees it, and it does not run behind the test's back.
 */
const consume = (queue: string, ...bodies: QueueMessage[]) => consumeWith({}, queue, bodies);

/** The same, as an instance configured with other vars. */
async function consumeWith(vars: Partial<Env>, queue: string, bodies: readonly QueueMessage[]) {
  const batch = createMessageBatch<unknown>(
    queue,
    bodies.map((body, i) => ({
      id: `m${++sequence}-${i}`,
      timestamp: new Date(),
      attempts: 1,
      body,
    })),
  );
  // The plugin's result leaves out the delay of each retry: it is read from the calls.
  const retries = batch.messages.map((message) => vi.spyOn(message, "retry"));
  const ctx = createExecutionContext();
  const { queue: recorder, enqueued } = recordingQueue();
  await worker.queue(batch, { ...env, ...vars, DELIVERY_QUEUE: recorder }, ctx);
  const retryDelays = retries.flatMap((spy) => spy.mock.calls.map(([o]) => o?.delaySeconds));
  return { ...(await getQueueResult(batch, ctx)), enqueued, retryDelays };
}

const hostState = (host: string) => env.HOST_STATE.get(env.HOST_STATE.idFromName(host));

/** Ends a host's backoff window now, as if its time had passed. */
const endWindow = (stub: ReturnType<typeof hostState>) =>
  runInDurableObject(stub, (_instance: HostState, state) => {
    state.storage.sql.exec("UPDATE state SET open_until = ? WHERE k = 1", Date.now() - 1);
  });

/** Puts a host's object in the open-circuit state, for an hour: what it is asked now parks. */
const openCircuit = (stub: ReturnType<typeof hostState>, host: string) =>
  runInDurableObject(stub, (_instance: HostState, state) => {
    state.storage.sql.exec(
      "UPDATE state SET host = ?, failures = ?, open_until = ? WHERE k = 1",
      host,
      BREAKER_THRESHOLD,
      Date.now() + 3600_000,
    );
  });
const deliver = (
  activityId: string,
  inboxes: string[],
  extra: Partial<DeliverMessage> = {},
): DeliverMessage => ({
  v: 1,
  type: "deliver",
  activityId,
  inboxes,
  ...extra,
});
const posts = async (inbox: string) =>
  (await received(new URL(inbox).host, "POST")).filter((r) => r.url === inbox);

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
    expect(classifyResponse(new Response(null, { status })).kind).toBe(kind);
  });

  it("reads Retry-After as seconds or as a date", () => {
    const now = Date.parse("2026-11-24T10:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter("Tue, 24 Nov 2026 10:05:00 GMT", now)).toBe(300);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(
      classifyResponse(new Response(null, { status: 429, headers: { "Retry-After": "77" } })),
    ).toEqual({
      kind: "retry",
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

describe("delivery", () => {
  it("a redelivered message does not deliver again to inboxes that already have it", async () => {
    const inbox = "https://once.delivery.test/inbox";
    const activityId = await storedActivity();
    await db()
      .insert(deliveryBatches)
      .values({
        id: "batch-once",
        activityId,
        hosts: ["once.delivery.test"],
        state: "pending",
        createdAt: new Date(),
      });
    const message = deliver(activityId, [inbox], { batchId: "batch-once" });
    expect((await consume("outpost-delivery", message)).explicitAcks).toHaveLength(1);
    expect((await consume("outpost-delivery", message)).explicitAcks).toHaveLength(1);
    expect(await posts(inbox)).toHaveLength(1);
    const [batch] = await db()
      .select()
      .from(deliveryBatches)
      .where(eq(deliveryBatches.id, "batch-once"));
    expect(batch?.state).toBe("done");
  });

  it("retries failed inboxes on their own, never the whole message", async () => {
    const good = "https://good.delivery.test/inbox";
    const bad = "https://bad.delivery.test/inbox";
    await serve({ url: bad, status: 500, body: {} });
    const activityId = await storedActivity();
    const result = await consume("outpost-delivery", deliver(activityId, [good, bad]));
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    expect(await posts(good)).toHaveLength(1);
    expect(await posts(bad)).toHaveLength(1);
    const [failure] = await db()
      .select()
      .from(deliveryFailures)
      .where(eq(deliveryFailures.activityId, activityId));
    expect(failure).toMatchObject({
      host: "bad.delivery.test",
      state: "retrying",
      inboxes: [bad],
      attempts: 1,
      lastError: "HTTP 500",
    });
    // The retry is a message of its own, for the bad inbox alone, after the first backoff.
    expect(result.enqueued).toHaveLength(1);
    expect(result.enqueued[0]?.body).toEqual({
      v: 1,
      type: "deliver",
      activityId,
      inboxes: [bad],
      attempt: 2,
    });
    expect(result.enqueued[0]?.delaySeconds).toBeGreaterThanOrEqual(15);
    expect(result.enqueued[0]?.delaySeconds).toBeLessThanOrEqual(30);
  });

  it("honours Retry-After, and records 404/410 and other 4xx as failed for good", async () => {
    const busy = "https://busy.delivery.test/inbox";
    const gone = "https://gone.delivery.test/inbox";
    const refusing = "https://refusing.delivery.test/inbox";
    await serve(
      { url: busy, status: 429, body: {}, headers: { "Retry-After": "600" } },
      { url: gone, status: 410, body: {} },
      { url: refusing, status: 403, body: {} },
    );
    const activityId = await storedActivity();
    await consume("outpost-delivery", deliver(activityId, [busy, gone, refusing]));
    const rows = await db()
      .select()
      .from(deliveryFailures)
      .where(eq(deliveryFailures.activityId, activityId));
    const byHost = Object.fromEntries(rows.map((r) => [r.host, r]));
    expect(byHost["gone.delivery.test"]).toMatchObject({
      state: "failed",
      lastError: "HTTP 410 (gone)",
    });
    expect(byHost["refusing.delivery.test"]).toMatchObject({
      state: "failed",
      lastError: "HTTP 403 (rejected)",
    });
    expect(byHost["busy.delivery.test"]).toMatchObject({ state: "retrying" });
    expect(
      (byHost["busy.delivery.test"]?.nextAttemptAt?.getTime() ?? 0) - Date.now(),
    ).toBeGreaterThan(590_000);
    // A 429 says "later", not "down": it does not count against the host.
    expect((await hostState("busy.delivery.test").status()).failures).toBe(0);
  });

  it("double-knocks: a host that answers 401 to draft-cavage gets RFC 9421, and is remembered", async () => {
    const inbox = "https://rfc9421-only.delivery.test/inbox";
    await serve({ url: inbox, status: 202, body: {}, requireHeader: "signature-input" });
    const first = await storedActivity();
    await consume("outpost-delivery", deliver(first, [inbox]));
    const tries = await posts(inbox);
    expect(tries).toHaveLength(2);
    expect(tries[0]?.headers["signature-input"]).toBeUndefined();
    expect(tries[1]?.headers["signature-input"]).toMatch(
      /^sig1=\("@method" "@target-uri" "content-digest"\)/,
    );
    expect((await hostState("rfc9421-only.delivery.test").status()).flavour).toBe("rfc9421");
    // Next time, RFC 9421 first: one POST.
    await consume("outpost-delivery", deliver(await storedActivity(), [inbox]));
    expect(await posts(inbox)).toHaveLength(3);
    expect(await deliveriesAt(inbox)).toHaveLength(3);
  });
});

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
    expect(status.nextAttemptAt).toBeGreaterThan(Date.now());

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
      results: [
        { inbox: `https://${host}/inbox`, kind: "hostFailure", status: 500, error: "HTTP 500" },
      ] satisfies DeliveryResult[],
    });
    /** Fails a host up to the breaker, through an object built over its storage with `vars`. */
    const failUntilOpen = (host: string, vars: Partial<Env>) =>
      runInDurableObject(hostState(host), async (_instance: HostState, state) => {
        const object = new HostState(state, { ...env, ...vars });
        const answers = [];
        for (let i = 0; i < BREAKER_THRESHOLD; i++)
          answers.push(await object.report(failure(host)));
        return {
          delays: answers.map((a) => a.retry[0]?.delaySeconds),
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
    expect((deployed.status.nextAttemptAt ?? 0) - Date.now()).toBeGreaterThan(230_000);
    expect(dev.status.nextAttemptAt).not.toBeNull();
    expect((dev.status.nextAttemptAt ?? 0) - Date.now()).toBeLessThanOrEqual(16_000);
  });

  it("retries a failed queue message on DEV_RETRY_BASE_MS's base on a development instance", async () => {
    const url = "https://flaky.fetch.delivery.test/notes/1";
    await serve({ url, status: 500, body: {} });
    const message: FetchObjectMessage = { v: 1, type: "fetchObject", id: url, purpose: "context" };
    const deployed = await consume("outpost-delivery", message);
    const dev = await consumeWith(devVars(1000), "outpost-delivery", [message]);
    expect(deployed.retryDelays).toHaveLength(1);
    expect(deployed.retryDelays[0]).toBeGreaterThanOrEqual(15);
    expect(dev.retryDelays).toEqual([1]);
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
      await new HostState(state, { ...env, DELIVERY_QUEUE: queue }).report({
        host,
        activityId: `${OWNER}/statuses/fresh/activity`,
        results: [{ inbox, kind: "delivered", status: 202 }],
      });
    });
    expect(enqueued.map((m) => (m.body as DeliverMessage).activityId)).toEqual([old, ...published]);
    expect((await hostState(host).status()).parked).toBe(0);
  });

  it("adds the publication order to a parked table made before it, keeping its rows", async () => {
    await runInDurableObject(hostState("old-table.delivery.test"), (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec(`
        DROP TABLE parked;
        CREATE TABLE parked (seq INTEGER PRIMARY KEY AUTOINCREMENT, activity_id TEXT NOT NULL,
          inbox TEXT NOT NULL, parked_at INTEGER NOT NULL, UNIQUE (activity_id, inbox));
        INSERT INTO parked (activity_id, inbox, parked_at) VALUES ('https://o.test/a/old', 'https://h.test/inbox', 1);
      `);
      const parked = new Parked(sql);
      parked.add(
        { activityId: "https://o.test/a/new", activitySeq: 7 },
        ["https://h.test/inbox"],
        2,
      );
      expect(parked.inOrder().map((r) => [r.activity_id, r.activity_seq])).toEqual([
        ["https://o.test/a/old", null],
        ["https://o.test/a/new", 7],
      ]);
    });
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
    const answer = await stub.report({
      host,
      activityId: "https://outpost.test/a/1",
      results: [{ inbox: `https://${host}/inbox`, kind: "hostFailure", error: "timeout" }],
    });
    expect(answer.parked).toEqual([`https://${host}/inbox`]);
    expect(await stub.status()).toMatchObject({
      unavailable: true,
      failureDays: 7,
      circuit: "open",
    });
    // Traffic from the host (an inbound activity) changes nothing here; a delivery does.
    await stub.report({
      host,
      activityId: "https://outpost.test/a/2",
      results: [{ inbox: `https://${host}/inbox`, kind: "delivered", status: 202 }],
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

describe("the dead-letter queue", () => {
  it("records what reaches it, and acknowledges it", async () => {
    const activityId = await storedActivity();
    const result = await consume(
      "outpost-delivery-dlq",
      deliver(activityId, ["https://dlq.delivery.test/inbox", "https://dlq2.delivery.test/inbox"]),
      { v: 1, type: "fanout", activityId } satisfies FanoutMessage,
    );
    expect(result.explicitAcks).toHaveLength(2);
    const rows = await db()
      .select()
      .from(deliveryFailures)
      .where(eq(deliveryFailures.activityId, activityId));
    expect(rows.map((r) => [r.host, r.state]).sort()).toEqual([
      ["(fan-out)", "failed"],
      ["dlq.delivery.test", "failed"],
      ["dlq2.delivery.test", "failed"],
    ]);
  });
});

describe("fan-out", () => {
  it("packs whole hosts into messages within the subrequest budget", () => {
    const inboxes = [
      ...Array.from(
        { length: 30 },
        (_, i) => `https://big.test/users/u${String(i).padStart(2, "0")}/inbox`,
      ),
      ...Array.from({ length: 40 }, (_, i) => `https://h${String(i).padStart(2, "0")}.test/inbox`),
    ].sort();
    const messages = packInboxes(inboxes);
    expect(messages.flat().sort()).toEqual(inboxes);
    for (const message of messages) {
      expect(message.length).toBeLessThanOrEqual(MAX_INBOXES_PER_MESSAGE);
      expect(new Set(message.map((i) => new URL(i).host)).size).toBeLessThanOrEqual(
        MAX_HOSTS_PER_MESSAGE,
      );
    }
  });

  it("reaches 1,200 followers on 800 servers in pages, each shared inbox once, each message under 128 KB", {
    timeout: 60_000,
  }, async () => {
    // Followers straight into D1: 400 servers with a shared inbox and two followers each,
    // 400 servers without one.
    const rows: (typeof actors.$inferInsert)[] = [];
    for (let i = 0; i < 800; i++) {
      const host = `f${String(i).padStart(4, "0")}.fanout.test`;
      const users = i < 400 ? 2 : 1;
      for (let u = 0; u < users; u++) {
        const id = `https://${host}/users/u${u}`;
        rows.push({
          id,
          type: "Person",
          domain: host,
          inbox: `${id}/inbox`,
          sharedInbox: i < 400 ? `https://${host}/inbox` : null,
          fetchedAt: new Date(),
        });
      }
    }
    for (let i = 0; i < rows.length; i += 8)
      await db()
        .insert(actors)
        .values(rows.slice(i, i + 8));
    for (let i = 0; i < rows.length; i += 15) {
      await db()
        .insert(follows)
        .values(
          rows.slice(i, i + 15).map((r) => ({
            actor: OWNER,
            follower: r.id,
            state: "accepted" as const,
            createdAt: new Date(),
          })),
        );
    }
    const activityId = await storedActivity();
    const sent: MessageSendRequest[] = [];
    const queue = {
      send: async () => {},
      sendBatch: async (batch: Iterable<MessageSendRequest>) => void sent.push(...batch),
    } as unknown as Queue;
    let next: FanoutMessage | undefined = { v: 1, type: "fanout", activityId };
    let pages = 0;
    while (next !== undefined) {
      pages++;
      await fanOut({ db: db(), config, queue }, next);
      const continuation = sent.find(
        (m) => (m.body as QueueMessage).type === "fanout" && !sentSeen.has(m),
      );
      for (const m of sent) sentSeen.add(m);
      next = continuation?.body as FanoutMessage | undefined;
    }
    const deliveries = sent
      .map((m) => m.body as QueueMessage)
      .filter((m): m is DeliverMessage => m.type === "deliver");
    const inboxes = deliveries.flatMap((m) => m.inboxes);
    expect(pages).toBe(Math.ceil(800 / FANOUT_PAGE));
    expect(inboxes).toHaveLength(800);
    expect(new Set(inboxes).size).toBe(800);
    expect(inboxes.filter((i) => i.endsWith(".fanout.test/inbox"))).toHaveLength(400);
    for (const m of deliveries) expect(JSON.stringify(m).length).toBeLessThan(128 * 1024);
    // Queue operations: about one message per 12 hosts, not one per follower.
    expect(deliveries.length).toBeLessThanOrEqual(Math.ceil(800 / MAX_HOSTS_PER_MESSAGE) + pages);
    const batches = await db()
      .select()
      .from(deliveryBatches)
      .where(eq(deliveryBatches.activityId, activityId));
    expect(batches).toHaveLength(deliveries.length);
  });
});

const sentSeen = new Set<MessageSendRequest>();
