/**
 * The delivery pipeline: redelivery, retries of failed inboxes alone, Retry-After, 404/410,
 * double-knock, the dead-letter record, and fan-out to many followers within the platform's
 * limits. (The policy's decisions on their own: `src/federation/delivery/policy.test.ts`;
 * the per-host breaker: `host-state.test.ts`.)
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  FANOUT_PAGE,
  fanOut,
  MAX_HOSTS_PER_MESSAGE,
  packInboxes,
} from "../src/federation/delivery/fanout";
import { MAX_INBOXES_PER_MESSAGE } from "../src/federation/delivery/policy";
import type {
  DeliverMessage,
  FanoutMessage,
  FetchObjectMessage,
  QueueMessage,
} from "../src/federation/queue/messages";
import { recipientInboxes } from "../src/storage/recipients";
import { actors, deliveryBatches, deliveryFailures, follows } from "../src/storage/schema";
import { appContext, db } from "./helpers";
import {
  consume,
  consumeWith,
  deliver,
  devVars,
  hostState,
  posts,
  storedActivity,
} from "./support/delivery";
import { deliveriesAt, OWNER, received, serve } from "./support/remote";

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

  it("hands a failing host's inboxes to its object, never retrying the whole message", async () => {
    const good = "https://good.delivery.test/inbox";
    const bad = "https://bad.delivery.test/inbox";
    await serve({ url: bad, status: 500, body: {} });
    const activityId = await storedActivity();
    const result = await consume("outpost-delivery", deliver(activityId, [good, bad]));
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    // Nothing goes back to the shared queue: the host's object holds the bad inbox.
    expect(result.enqueued).toEqual([]);
    expect(await posts(good)).toHaveLength(1);
    expect(await posts(bad)).toHaveLength(1);
    const status = await hostState("bad.delivery.test").status();
    expect(status).toMatchObject({ failures: 1, parked: 1, circuit: "closed" });
    const [failure] = await db()
      .select()
      .from(deliveryFailures)
      .where(eq(deliveryFailures.activityId, activityId));
    expect(failure).toMatchObject({
      host: "bad.delivery.test",
      state: "retrying",
      inboxes: [bad],
      lastError: "HTTP 500",
    });
    // The object tries again after the first backoff: 4 to 8 s.
    const wait = (failure?.nextAttemptAt?.getTime() ?? 0) - Date.now();
    expect(wait).toBeGreaterThan(2_000);
    expect(wait).toBeLessThanOrEqual(8_000);
  });

  it("sends a host's inboxes side by side, and hands its object only those that failed, judged at once", async () => {
    const host = "side-by-side.delivery.test";
    const inbox = (user: string) => `https://${host}/users/${user}/inbox`;
    const [a, b, c, d] = [inbox("a"), inbox("b"), inbox("c"), inbox("d")];
    // Each answers after half a second: one after another, no two would be under way at once.
    await serve(
      { url: a, status: 202, body: {}, delayMs: 500 },
      { url: b, status: 202, body: {}, delayMs: 500 },
      { url: c, status: 500, body: {}, delayMs: 500 },
      { url: d, status: 429, body: {}, delayMs: 500, headers: { "Retry-After": "600" } },
    );
    const activityId = await storedActivity();
    const result = await consume("outpost-delivery", deliver(activityId, [a, b, c, d]));
    expect(result.explicitAcks).toHaveLength(1);
    const sent = await received(host, "POST");
    expect(sent.map((r) => r.url).sort()).toEqual([a, b, c, d]);
    expect(Math.max(...sent.map((r) => r.concurrent))).toBe(4);
    // The two that failed are the object's, the host judged once: by its 500, counted once,
    // and not tried again before the 429's Retry-After.
    const status = await hostState(host).status();
    expect(status).toMatchObject({ failures: 1, parked: 2 });
    expect((status.nextAttemptAt?.getTime() ?? 0) - Date.now()).toBeGreaterThan(590_000);
    const [failure] = await db()
      .select()
      .from(deliveryFailures)
      .where(eq(deliveryFailures.activityId, activityId));
    expect(failure).toMatchObject({ host, state: "retrying", lastError: "HTTP 500" });
    expect([...(failure?.inboxes ?? [])].sort()).toEqual([c, d]);
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

  it("retries a failed queue message on DEV_RETRY_BASE_MS's base on a development instance", async () => {
    const url = "https://flaky.fetch.delivery.test/notes/1";
    await serve({ url, status: 500, body: {} });
    const message: FetchObjectMessage = { v: 1, type: "fetchObject", id: url, purpose: "context" };
    const deployed = await consume("outpost-delivery", message);
    const dev = await consumeWith(devVars(1000), "outpost-delivery", [message]);
    expect(deployed.retryDelays).toHaveLength(1);
    expect(deployed.retryDelays[0]).toBeGreaterThanOrEqual(4);
    expect(dev.retryDelays).toEqual([1]);
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

  it("packs hosts most inboxes first, each into the first message with room, so that messages fill up", () => {
    // In inbox order, hosts with two inboxes (no shared inbox) fall between hosts with one.
    const hosts = Array.from({ length: 18 }, (_, i) => `h${String(i).padStart(2, "0")}.test`);
    const inboxes = hosts
      .flatMap((host, i) =>
        i % 3 === 0
          ? [`https://${host}/users/a/inbox`, `https://${host}/users/b/inbox`]
          : [`https://${host}/inbox`],
      )
      .sort();
    const messages = packInboxes(inboxes);
    expect(messages.flat().sort()).toEqual(inboxes);
    // 24 inboxes, 6 a message: none is left with room.
    expect(messages.map((m) => m.length)).toEqual([6, 6, 6, 6]);
    // The six hosts with two inboxes share two messages; the twelve with one, the other two.
    const twoInboxes = (message: string[]) =>
      Object.values(Object.groupBy(message, (i) => new URL(i).host)).some((g) => g?.length === 2);
    expect(messages.filter(twoInboxes)).toHaveLength(2);
    // A host's inboxes stay in one message.
    for (const message of messages) {
      const inMessage = new Set(message.map((i) => new URL(i).host));
      for (const other of messages.filter((m) => m !== message)) {
        expect(other.some((i) => inMessage.has(new URL(i).host))).toBe(false);
      }
    }
  });

  it("pages followers and addressed actors together, each inbox once, in order, whatever the page size", async () => {
    const owner = "https://pager.test/users/owner";
    const actor = (name: string, shared: boolean) => ({
      id: `https://${name}.pager.test/users/u`,
      type: "Person",
      domain: `${name}.pager.test`,
      inbox: `https://${name}.pager.test/users/u/inbox`,
      sharedInbox: shared ? `https://${name}.pager.test/inbox` : null,
      fetchedAt: new Date(),
    });
    const followers = ["a", "c", "e", "g", "i"].map((n, i) => actor(n, i % 2 === 0));
    // Between them in inbox order: one who does not follow, one whose follow is pending, and
    // one the owner follows (but who does not follow back).
    const others = [actor("d", false), actor("f", true), actor("h2", false)];
    // Addressed: one who also follows, two who do not (one on a follower's shared inbox).
    const strangers = [actor("b", false), actor("h", true)];
    const sharedWithFollower = { ...actor("e2", false), sharedInbox: "https://e.pager.test/inbox" };
    await db()
      .insert(actors)
      .values([...followers, ...strangers, sharedWithFollower, ...others]);
    const edge = (actor: string, follower: string, state: "accepted" | "pending") => ({
      actor,
      follower,
      state,
      createdAt: new Date(),
    });
    await db()
      .insert(follows)
      .values([
        ...followers.map((f) => edge(owner, f.id, "accepted")),
        edge(owner, others[1]?.id as string, "pending"),
        edge(others[2]?.id as string, owner, "accepted"),
      ]);
    const addressed = [followers[1]?.id, ...strangers.map((s) => s.id), sharedWithFollower.id];
    const everyone = (await recipientInboxes(db(), {
      followersOf: owner,
      actors: addressed as string[],
      limit: 100,
    })) as string[];
    const expected = [...followers, ...strangers, sharedWithFollower]
      .map((a) => a.sharedInbox ?? a.inbox)
      .filter((inbox, i, all) => all.indexOf(inbox) === i)
      .sort();
    expect(everyone).toEqual(expected);
    // Both ways of reading the followers, with and without addressed actors, any page size.
    const followersOnly = followers
      .map((a) => a.sharedInbox ?? a.inbox)
      .filter((inbox, i, all) => all.indexOf(inbox) === i)
      .sort();
    for (const plan of ["sort", "walk"] as const) {
      for (const [named, want] of [
        [addressed as string[], expected],
        [[], followersOnly],
      ] as const) {
        for (const limit of [1, 2, 3, 100]) {
          const pages: string[] = [];
          for (;;) {
            const page = await recipientInboxes(db(), {
              followersOf: owner,
              actors: named,
              after: pages.at(-1),
              limit,
              plan,
            });
            pages.push(...page);
            if (page.length < limit) break;
          }
          expect(pages, `${plan}, ${named.length} named, limit ${limit}`).toEqual(want);
        }
      }
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
      await fanOut({ ...appContext(), queue }, next);
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
