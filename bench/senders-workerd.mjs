/**
 * The `fedifyWorkerd` peer of the fan-out benchmark: Fedify as a Worker
 * (bench/fedify-workerd/worker.mjs) under `wrangler dev`, the same local runtime as Outpost,
 * its queue a Cloudflare Queue consumed 6 messages an invocation, side by side. Each run is a
 * fresh instance with its own state, stopped when the run is.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "./farm.mjs";
import { startInstance, stopInstance, wranglerEnv } from "./instance.mjs";
import { cpuOf, isolateCpu, startProfile } from "./profile.mjs";

const CONFIG = new URL("./fedify-workerd/wrangler.toml", import.meta.url).pathname;
const WORKERD_PORT = 8897;
/** What a full invocation holds (`max_batch_size` in bench/fedify-workerd/wrangler.toml). */
const BATCH = 6;

/**
 * Starts the Worker, then has it send one `Create` to `followers`; returns at once, as
 * `startFedify` does; `beforeSend` is called just before it sends. With `profile`, the
 * Worker's isolate is sampled from the send to `stop` (`extra(posts)` then gives its CPU per
 * delivery, one signature's, and a full invocation's at that rate).
 */
export async function startFedifyWorkerd(
  followers,
  { activityId, profile = false, beforeSend = () => {} },
) {
  const state = mkdtempSync(join(tmpdir(), "fedify-workerd-"));
  const origin = `http://localhost:${WORKERD_PORT}`;
  const dev = await startInstance({
    port: WORKERD_PORT,
    state,
    env: wranglerEnv("unused"),
    config: CONFIG,
    ready: "/",
    inspectorPort: WORKERD_PORT + 1000,
  });
  // The key pair is made once an isolate: not part of what is measured.
  await fetch(`${origin}/warm`, { method: "POST" });
  const sampling = profile ? await startProfile(WORKERD_PORT + 1000) : null;
  beforeSend();
  const started = Date.now();
  const sent = await fetch(`${origin}/send`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ activityId, followers }),
  });
  if (!sent.ok) throw new Error(`fedifyWorkerd send: ${sent.status} ${await sent.text()}`);
  let stats = { enqueued: 0, waiting: [], mostRunning: 0 };
  let sampled = null;
  return {
    activityId,
    started,
    queueMessages: () => stats.enqueued,
    waiting: (inbox) => stats.waiting.includes(inbox),
    /**
     * After `stop`: the most queue invocations that ran at once (1: one batch of 6 at a time,
     * as Outpost's messages go), and with `profile`, the isolate's CPU for `posts` POSTs.
     */
    extra: (posts) => ({
      queueInvocationsAtOnce: stats.mostRunning,
      ...(sampled === null
        ? {}
        : isolateCpu(cpuOf(sampled, ["sign"]), { posts, perInvocation: BATCH })),
    }),
    async stop() {
      // As Outpost's profile does, it takes in what runs just after the last delivery.
      if (sampling !== null) {
        await sleep(2500);
        sampled = await sampling.stop();
      }
      // The last invocation's counts land as it ends.
      await sleep(200);
      stats = await (await fetch(`${origin}/stats`)).json();
      await stopInstance(dev);
      rmSync(state, { recursive: true, force: true });
    },
  };
}
