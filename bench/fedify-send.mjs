/**
 * What every Fedify peer of the fan-out benchmark is and sends, on Node (bench/senders.mjs)
 * and as a Worker (bench/fedify-workerd/worker.mjs): a federation with Fedify's production
 * options, whose actor `bench` signs with an RSA-2048 key as Outpost does (Fedify's
 * `generateCryptoKeyPair` makes 4096-bit keys, whose signatures cost several times as much:
 * the peers would be slower for it), sending one `Create` of a note to the followers, shared
 * inboxes preferred as Fedify's docs advise.
 */
import { createExponentialBackoffPolicy, createFederation } from "@fedify/fedify";
import { Create, Endpoints, Note, Person } from "@fedify/vocab";

/**
 * What a peer's queue was given: how many messages (the peers' `queueMessages`), and which
 * inboxes still have an outbox message waiting (queued, delayed for a retry, or held by the
 * circuit breaker), so that an inbox not reached can be told apart from one given up on (lost).
 */
export class Tally {
  enqueued = 0;
  waiting = new Map();
  add(messages) {
    this.enqueued += messages.length;
    for (const m of messages) this.#count(m, 1);
  }
  /** A message handled for good (done, or dropped). */
  done(message) {
    this.#count(message, -1);
  }
  waitingInboxes() {
    return [...this.waiting].filter(([, n]) => n > 0).map(([inbox]) => inbox);
  }
  #count(message, k) {
    if (message?.type !== "outbox") return;
    const inbox = String(message.inbox);
    this.waiting.set(inbox, (this.waiting.get(inbox) ?? 0) + k);
  }
}

/** A Fedify queue whose messages `tally` counts (those `listen` hands out, done at the end). */
export class CountingQueue {
  constructor(inner, tally) {
    this.inner = inner;
    this.tally = tally;
    this.nativeRetrial = inner.nativeRetrial;
  }
  enqueue(message, options) {
    this.tally.add([message]);
    return this.inner.enqueue(message, options);
  }
  async enqueueMany(messages, options) {
    this.tally.add(messages);
    if (this.inner.enqueueMany) return this.inner.enqueueMany(messages, options);
    await Promise.all(messages.map((m) => this.inner.enqueue(m, options)));
  }
  listen(handler, options) {
    return this.inner.listen(async (message) => {
      try {
        return await handler(message);
      } finally {
        this.tally.done(message);
      }
    }, options);
  }
}

/** The peers' own origin: nothing fetches from it (the farm does not check signatures). */
export const ORIGIN = "http://127.0.0.1:1";

/**
 * A Fedify federation over `kv` and `queue`, its actor signing with `keyPair()`:
 * - retries: `createExponentialBackoffPolicy()`, the default `outboxRetryPolicy`: 1 s ×
 *   2^attempt, jitter ×(1..2), at most 10 attempts, at most 12 h apart;
 * - circuit breaker: on by default whenever there is a queue (`circuitBreaker` left out):
 *   opens after 5 failures within 10 minutes, probes after 30 minutes, holds activities up to
 *   7 days; 5xx and transport errors count, 4xx count as "reachable";
 * - `permanentFailureStatusCodes`: the default [404, 410], not retried;
 * - no timeout of its own on a POST (a hung host holds a worker until the socket drops);
 * - double-knocking: an answer of 400 or above 401 to an unknown host is tried again at once
 *   with the other signature spec (RFC 9421 first, then draft-cavage).
 */
export function benchFederation({ kv, queue, keyPair, manuallyStartQueue = false }) {
  const federation = createFederation({
    kv,
    queue,
    manuallyStartQueue,
    outboxRetryPolicy: createExponentialBackoffPolicy(),
    permanentFailureStatusCodes: [404, 410],
    allowPrivateAddress: true,
  });
  federation
    .setActorDispatcher(
      "/users/{identifier}",
      (ctx, identifier) =>
        new Person({
          id: ctx.getActorUri(identifier),
          preferredUsername: identifier,
          inbox: new URL(`${ORIGIN}/inbox`),
        }),
    )
    .setKeyPairsDispatcher(async () => [await keyPair()]);
  return federation;
}

/** Sends the `Create` as the actor `bench` of the federation `ctx` belongs to. */
export async function sendCreate(ctx, { followers, activityId }) {
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
  await ctx.sendActivity({ identifier: "bench" }, recipients, activity, {
    preferSharedInbox: true,
  });
}
