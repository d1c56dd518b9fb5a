/**
 * The `fedifyWorkerd` peer of the fan-out benchmark (bench/fanout.mjs): @fedify/fedify 2.3.6 as
 * a Worker, in the same local runtime (wrangler dev, miniflare) as Outpost, its queue a
 * Cloudflare Queue and its store Workers KV, through the adapters below, written to Fedify's
 * `MessageQueue` and `KvStore` interfaces (Fedify's own for Workers, `@fedify/cfworkers`, is
 * not on the npm registry this machine reaches). Workers KV has no compare-and-swap, so the
 * store has no `cas`: Fedify's circuit breaker counts without it, as it would on Workers.
 *
 * `POST /send` `{ activityId, followers: [{ id, inbox, sharedInbox }] }` sends one `Create` to
 * the followers, as the Node peers do (bench/senders.mjs), with the same production options.
 * `GET /stats` says how many messages were enqueued and which inboxes still have an outbox
 * message waiting, and the most queue invocations that ran at once (this isolate's counts:
 * locally one isolate serves both handlers); `POST /warm` makes the key pair (once an
 * isolate) before anything is measured.
 *
 * The consumer takes a batch of 6 (wrangler.toml) and processes its messages side by side: 6
 * outbound connections an invocation, as Outpost's (Fedify's example processes a batch one
 * message after another, which would be its default queue's footing).
 */
import { benchFederation, CountingQueue, ORIGIN, sendCreate, Tally } from "../fedify-send.mjs";
import { rsa2048 } from "../rsa.mjs";

const KV_MIN_TTL_S = 60;
const QUEUE_MAX_DELAY_S = 43_200;
const SEND_BATCH = 100;
const BATCH_BYTES = 200_000;
/** `max_retries` in wrangler.toml: a message failing its last attempt is dropped. */
const MAX_RETRIES = 10;
const encoder = new TextEncoder();

/** Fedify's `KvStore` on Workers KV; a key's parts are kept as JSON, so a prefix lists. */
class WorkersKv {
  constructor(kv) {
    this.kv = kv;
  }
  async get(key) {
    const value = await this.kv.get(JSON.stringify(key), "json");
    return value ?? undefined;
  }
  async set(key, value, options) {
    const ttl = options?.ttl?.total("seconds");
    await this.kv.put(
      JSON.stringify(key),
      JSON.stringify(value),
      ttl === undefined ? {} : { expirationTtl: Math.max(KV_MIN_TTL_S, Math.ceil(ttl)) },
    );
  }
  async delete(key) {
    await this.kv.delete(JSON.stringify(key));
  }
  async *list(prefix = []) {
    const start = prefix.length === 0 ? "[" : JSON.stringify(prefix).slice(0, -1);
    let cursor;
    do {
      const page = await this.kv.list({ prefix: start, cursor });
      for (const { name } of page.keys) {
        const value = await this.kv.get(name, "json");
        if (value !== null) yield { key: JSON.parse(name), value };
      }
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor !== undefined);
  }
}

/** What the queue was given and what still waits (see `/stats`), and the invocations at once. */
const tally = new Tally();
const invocations = { running: 0, most: 0 };

/**
 * Fedify's `MessageQueue` on a Cloudflare Queue: a delay is the message's `delaySeconds`.
 * Retries are Fedify's own (`nativeRetrial` false), with the retry policy the Node peers
 * use; Fedify's own adapter leaves them to the queue's retries instead.
 */
class WorkersQueue {
  nativeRetrial = false;
  constructor(queue) {
    this.queue = queue;
  }
  static delayOf(options) {
    const s = options?.delay?.total("seconds") ?? 0;
    return Math.min(QUEUE_MAX_DELAY_S, Math.max(0, Math.ceil(s)));
  }
  async enqueue(message, options) {
    await this.queue.send(message, {
      contentType: "json",
      delaySeconds: WorkersQueue.delayOf(options),
    });
  }
  async enqueueMany(messages, options) {
    const delaySeconds = WorkersQueue.delayOf(options);
    // A batch holds at most 100 messages and 256 KB.
    let part = [];
    let size = 0;
    for (const body of messages) {
      const bytes = encoder.encode(JSON.stringify(body)).length + 100;
      if (part.length > 0 && (part.length === SEND_BATCH || size + bytes > BATCH_BYTES)) {
        await this.queue.sendBatch(part);
        part = [];
        size = 0;
      }
      part.push({ body, contentType: "json", delaySeconds });
      size += bytes;
    }
    if (part.length > 0) await this.queue.sendBatch(part);
  }
  listen() {
    throw new TypeError("a Cloudflare Queue is consumed by the Worker's queue() handler");
  }
}

/** The key pair (bench/rsa.mjs), made once an isolate. */
let keys;
async function keyPair() {
  keys ??= await rsa2048();
  return keys;
}

/** The federation: built per invocation (the bindings come with it), as the Node peers'. */
const federationOf = (env) =>
  benchFederation({
    kv: new WorkersKv(env.KV),
    queue: new CountingQueue(new WorkersQueue(env.QUEUE), tally),
    keyPair,
    manuallyStartQueue: true,
  });

async function send(env, message) {
  const federation = federationOf(env);
  await sendCreate(federation.createContext(new URL(ORIGIN), env), message);
}

/** One message: acknowledged once Fedify has handled it, else retried (and dropped at last). */
async function process(federation, env, message) {
  try {
    await federation.processQueuedTask(env, message.body);
  } catch {
    // Fedify retries a delivery itself (a new message); this is anything else failing.
    message.retry();
    if (message.attempts > MAX_RETRIES) tally.done(message.body);
    return;
  }
  message.ack();
  tally.done(message.body);
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (request.method === "POST" && pathname === "/send") {
      await send(env, await request.json());
      return Response.json({ ok: true });
    }
    if (pathname === "/stats") {
      const { enqueued } = tally;
      return Response.json({
        enqueued,
        waiting: tally.waitingInboxes(),
        mostRunning: invocations.most,
      });
    }
    if (request.method === "POST" && pathname === "/warm") {
      await keyPair();
      return Response.json({ ok: true });
    }
    return new Response("ok");
  },

  async queue(batch, env) {
    invocations.running++;
    invocations.most = Math.max(invocations.most, invocations.running);
    try {
      const federation = federationOf(env);
      await Promise.all(batch.messages.map((message) => process(federation, env, message)));
    } finally {
      invocations.running--;
    }
  },
};
