/**
 * The senders the fan-out benchmark (bench/fanout.mjs) compares Outpost with, delivering to
 * the same fake servers (bench/farm.mjs): Fedify-based senders (@fedify/fedify on Node, with
 * `ParallelMessageQueue` at 6 and 10 and with its default in-process queue) and a naive loop
 * (each follower in turn).
 */
import { createHash, webcrypto } from "node:crypto";
import { InProcessMessageQueue, MemoryKvStore, ParallelMessageQueue } from "@fedify/fedify";
import { benchFederation, CountingQueue, ORIGIN, sendCreate, Tally } from "./fedify-send.mjs";
import { rsa2048 } from "./rsa.mjs";

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
 * Starts one Fedify sender (@fedify/fedify 2.3.6 on Node, with its production options as
 * bench/fedify-send.mjs sets them) sending one `Create` to the followers, and returns at
 * once; the caller watches the farm and calls `stop()`. It does not reset the farm, so several
 * can run side by side, each with its own activity id.
 */
export async function startFedify(followers, { workers, activityId }) {
  const inner = new InProcessMessageQueue();
  const tally = new Tally();
  const queue = new CountingQueue(
    workers === null ? inner : new ParallelMessageQueue(inner, workers),
    tally,
  );
  const keys = await rsa2048();
  const federation = benchFederation({ kv: new MemoryKvStore(), queue, keyPair: () => keys });
  const stopper = new AbortController();
  federation.startQueue(undefined, { signal: stopper.signal }).catch(() => {});
  const ctx = federation.createContext(new URL(ORIGIN), undefined);
  const started = Date.now();
  await sendCreate(ctx, { followers, activityId });
  return {
    activityId,
    started,
    queueMessages: () => tally.enqueued,
    /** Whether Fedify still holds a message for the inbox (it has not given up on it). */
    waiting: (inbox) => (tally.waiting.get(inbox) ?? 0) > 0,
    stop: () => stopper.abort(),
    extra: () => ({}),
  };
}

/** What a naive sender does: each follower in turn, its own inbox, signed, awaited. */
export async function naiveLoop(farm, followers) {
  farm.reset();
  const keys = await rsa2048(false);
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
