/**
 * The senders the fan-out benchmark (bench/fanout.mjs) compares Outpost with, delivering to
 * the same fake servers (bench/farm.mjs): Fedify-based senders (@fedify/fedify on Node, with
 * `ParallelMessageQueue` at 6 and 10 and with its default in-process queue) and a naive loop
 * (each follower in turn).
 */
import { createHash, webcrypto } from "node:crypto";

/**
 * Fedify's queue behind a counter: how many messages were enqueued (the peers'
 * `queueMessages`), and which inboxes still have an outbox message waiting (queued, delayed
 * for a retry, or held by the circuit breaker), so that an inbox not reached can be told
 * apart from one given up on (lost).
 */
class CountingQueue {
  constructor(inner) {
    this.inner = inner;
    this.nativeRetrial = inner.nativeRetrial;
    this.enqueued = 0;
    this.waiting = new Map();
  }
  count(message, k) {
    if (message?.type !== "outbox") return;
    const inbox = String(message.inbox);
    this.waiting.set(inbox, (this.waiting.get(inbox) ?? 0) + k);
  }
  enqueue(message, options) {
    this.enqueued++;
    this.count(message, 1);
    return this.inner.enqueue(message, options);
  }
  async enqueueMany(messages, options) {
    this.enqueued += messages.length;
    for (const m of messages) this.count(m, 1);
    if (this.inner.enqueueMany) return this.inner.enqueueMany(messages, options);
    await Promise.all(messages.map((m) => this.inner.enqueue(m, options)));
  }
  listen(handler, options) {
    return this.inner.listen(async (message) => {
      try {
        return await handler(message);
      } finally {
        this.count(message, -1);
      }
    }, options);
  }
}

/**
 * The Fedify peers: `workers` null is Fedify's default `InProcessMessageQueue` (one message
 * at a time); a number wraps it in `ParallelMessageQueue(…, workers)`, Fedify's documented
 * answer for concurrency (6 is one Worker invocation's connections, 10 the seed's worker
 * concurrency); `"workerd"` is Fedify as a Worker on a Cloudflare Queue, in the same local
 * runtime as Outpost (bench/senders-workerd.mjs).
 */
export const FEDIFY_PEERS = {
  fedifyPar6: 6,
  fedifyPar10: 10,
  fedifyDefault: null,
  fedifyWorkerd: "workerd",
};

/**
 * Starts one Fedify sender (@fedify/fedify 2.3.6 on Node) sending one `Create` to the
 * followers, and returns at once; the caller watches the farm and calls `stop()`. It does
 * not reset the farm, so several can run side by side, each with its own activity id.
 *
 * Fedify's production options, as documented and as its source does them, written out:
 * - retries: `createExponentialBackoffPolicy()`, the default `outboxRetryPolicy`: 1 s ×
 *   2^attempt, jitter ×(1..2), at most 10 attempts, at most 12 h apart;
 * - circuit breaker: on by default whenever there is a queue (`circuitBreaker` left out):
 *   opens after 5 failures within 10 minutes, probes after 30 minutes, holds activities up to
 *   7 days; 5xx and transport errors count, 4xx count as "reachable";
 * - `permanentFailureStatusCodes`: the default [404, 410], not retried;
 * - `preferSharedInbox: true`, as Fedify's docs advise for followers;
 * - no timeout of its own on a POST (a hung host holds a worker until the socket drops);
 * - double-knocking: an answer of 400 or above 401 to an unknown host is tried again at once
 *   with the other signature spec (RFC 9421 first, then draft-cavage).
 */
export async function startFedify(followers, { workers, activityId }) {
  const {
    createExponentialBackoffPolicy,
    createFederation,
    generateCryptoKeyPair,
    InProcessMessageQueue,
    MemoryKvStore,
    ParallelMessageQueue,
  } = await import("@fedify/fedify");
  const { Create, Endpoints, Note, Person } = await import("@fedify/vocab");
  const inner = new InProcessMessageQueue();
  const queue = new CountingQueue(
    workers === null ? inner : new ParallelMessageQueue(inner, workers),
  );
  const federation = createFederation({
    kv: new MemoryKvStore(),
    queue,
    outboxRetryPolicy: createExponentialBackoffPolicy(),
    permanentFailureStatusCodes: [404, 410],
    allowPrivateAddress: true,
  });
  const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const origin = "http://127.0.0.1:1";
  federation
    .setActorDispatcher(
      "/users/{identifier}",
      (ctx, identifier) =>
        new Person({
          id: ctx.getActorUri(identifier),
          preferredUsername: identifier,
          inbox: new URL(`${origin}/inbox`),
        }),
    )
    .setKeyPairsDispatcher(() => [keys]);
  const stopper = new AbortController();
  federation.startQueue(undefined, { signal: stopper.signal }).catch(() => {});
  const ctx = federation.createContext(new URL(origin), undefined);
  const recipients = followers.map(
    (f) =>
      new Person({
        id: new URL(f.id),
        inbox: new URL(f.inbox),
        endpoints:
          f.sharedInbox === null ? null : new Endpoints({ sharedInbox: new URL(f.sharedInbox) }),
      }),
  );
  const activity = new Create({
    id: new URL(activityId),
    actor: ctx.getActorUri("bench"),
    object: new Note({ id: new URL(`${activityId}/note`), content: "Hello from Fedify" }),
  });
  const started = Date.now();
  await ctx.sendActivity({ identifier: "bench" }, recipients, activity, {
    preferSharedInbox: true,
  });
  return {
    activityId,
    started,
    queueMessages: () => queue.enqueued,
    /** Whether Fedify still holds a message for the inbox (it has not given up on it). */
    waiting: (inbox) => (queue.waiting.get(inbox) ?? 0) > 0,
    stop: () => stopper.abort(),
    cpu: () => ({}),
  };
}

/** What a naive sender does: each follower in turn, its own inbox, signed, awaited. */
export async function naiveLoop(farm, followers) {
  farm.reset();
  const keys = await webcrypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    false,
    ["sign"],
  );
  const activityId = "http://127.0.0.1:1/activities/naive";
  const body = JSON.stringify({
    "@context": "https://www.w3.org/ns/activitystreams",
    id: activityId,
    type: "Create",
  });
  const digest = `SHA-256=${createHash("sha256").update(body).digest("base64")}`;
  const started = Date.now();
  for (const f of followers) {
    const url = new URL(f.inbox);
    const date = new Date().toUTCString();
    const text = `(request-target): post ${url.pathname}\nhost: ${url.host}\ndate: ${date}\ndigest: ${digest}`;
    const signature = Buffer.from(
      await webcrypto.subtle.sign(
        "RSASSA-PKCS1-v1_5",
        keys.privateKey,
        new TextEncoder().encode(text),
      ),
    ).toString("base64");
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/activity+json",
        date,
        digest,
        signature: `keyId="x",headers="(request-target) host date digest",signature="${signature}"`,
      },
      body,
    });
    await res.arrayBuffer();
  }
  const receipts = farm.receipts(activityId);
  return { wallMs: Date.now() - started, posts: receipts.posts, delivered: receipts.inboxes.size };
}
