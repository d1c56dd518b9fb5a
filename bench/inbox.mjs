#!/usr/bin/env node
/**
 * `npm run bench:inbox [-- --activities N --concurrency C --hosts H --json FILE]`
 *
 * Starts a fresh local instance (wrangler dev, development federation switch on) and H fake
 * remote servers on 127.0.0.x, each serving actors with real RSA keys. Their actors POST
 * signed activities (draft-cavage, like Mastodon) to the shared inbox, C at a time, and the
 * bench reports how many were verified and accepted per second, and the latency. The first
 * activity of each actor costs a key fetch; it is sent in a warm-up round, not measured.
 * In the same run, at the same concurrency, as many trivial GETs (`/.well-known/nodeinfo`,
 * no storage) give the instance's ceiling; and its own `/metrics` give what an accepted
 * activity costs: D1 round trips (a batch is one), queries, rows, actor cache lookups by
 * result, KV writes.
 *
 * With `--sockets N` (0 too), each Like is of a post of the owner's, so that each makes a
 * notification for the streaming API, and N WebSockets are open on `/api/v1/streaming`
 * (subscribed to `user` and `user:notification`) while the activities are measured: the inbox
 * POST's latency with the events made and sent after each answer, and the frames the sockets
 * received. Compare `--sockets 0` with `--sockets 10`. `--streams public` subscribes the
 * sockets to streams a Like never reaches instead (no event is made): what holding them costs.
 * A child process holds the sockets (apps are elsewhere): reading frames does not hold up the
 * loop timing the POSTs. At concurrency 1 each frame is matched to its POST: how many came
 * before the answer, the last one's delay after it. `--gap MS` waits between POSTs. Also the
 * workerd processes' CPU per activity (all of it is local): steadier than latency here.
 *
 * With `--profile`, V8 CPU profiles are taken while the activities are measured, then the
 * trivial GETs: the Worker's isolate's CPU per accepted activity and the frames it goes to,
 * and (through the local runtime's own inspector, found on Linux) the runtime's isolates at
 * once: per activity and per trivial GET, the Worker's CPU and each simulator's (D1, KV, the
 * rate limiters, miniflare's routing, wrangler's local traces). What is left of the process's
 * CPU is its C++ (HTTP, the calls between isolates).
 *
 * The signer here is written independently of Outpost's own, on Node's Web Crypto.
 */
import { fork } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { newKey, signedPost } from "./cavage.mjs";
import { migrate, scrapeMetrics, startInstance, stopInstance, wranglerEnv } from "./instance.mjs";
import {
  cpuOf,
  printWhereTimeGoes,
  profiled,
  runtimeInspector,
  startProfile,
  whereTimeGoes,
  workerdCpuMs,
} from "./profile.mjs";

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .join(" ")
    .split("--")
    .filter(Boolean)
    .map((a) => a.trim().split(/\s+/))
    .map(([k, v]) => [k, v ?? "true"]),
);
const ACTIVITIES = Number(args.activities ?? 2000);
const CONCURRENCY = Number(args.concurrency ?? 8);
const HOSTS = Number(args.hosts ?? 10);
const ACTORS_PER_HOST = 5;
const PORT = Number(args.port ?? 8799);
const ORIGIN = `http://localhost:${PORT}`;
const PROFILE = args.profile === "true";
const INSPECTOR_PORT = PORT + 1000;
const SOCKETS = args.sockets === undefined ? undefined : Number(args.sockets);
/** What each socket subscribes to (`--streams a,b`): the owner's streams by default. */
const STREAMS = (args.streams ?? "user,user:notification").split(",").filter(Boolean);
const TOKEN = "bench";
const ACTOR_CACHE = "activitypub_actor_cache_total";
const GAP_MS = Number(args.gap ?? 0);
/** Now, in ms since the epoch (sub-millisecond, comparable with the socket client's). */
const now = () => performance.timeOrigin + performance.now();

/** Fake remote servers: one per host, each serving its actors' documents. */
async function startRemotes() {
  const servers = [];
  const actors = [];
  for (let h = 0; h < HOSTS; h++) {
    const address = `127.0.0.${h + 2}`;
    const documents = new Map();
    const server = createServer((req, res) => {
      const doc = documents.get(req.url);
      if (req.method === "GET" && doc !== undefined) {
        res.writeHead(200, { "content-type": "application/activity+json" });
        res.end(JSON.stringify(doc));
      } else {
        res.writeHead(req.method === "POST" ? 202 : 404);
        res.end();
      }
    });
    await new Promise((resolve) => server.listen(0, address, resolve));
    const host = `${address}:${server.address().port}`;
    for (let a = 0; a < ACTORS_PER_HOST; a++) {
      const key = await newKey();
      const id = `http://${host}/users/a${a}`;
      documents.set(`/users/a${a}`, {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        id,
        type: "Person",
        preferredUsername: `a${a}`,
        inbox: `${id}/inbox`,
        publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: key.pem },
      });
      actors.push({ id, host, keyId: `${id}#main-key`, privateKey: key.privateKey });
    }
    servers.push(server);
  }
  return { servers, actors };
}

let sequence = 0;
/**
 * With `--sockets`: the owner's posts the Likes are of, each actor's next Like of its next
 * post (a repeated Like notifies no more), so that every Like notifies and streams.
 */
const ownerPosts = [];
const likesBy = new Map();

function likedBy(actor) {
  const n = likesBy.get(actor.id) ?? 0;
  likesBy.set(actor.id, n + 1);
  return ownerPosts[n % ownerPosts.length];
}

/**
 * A Like of a note the owner never wrote: verified, stored once, no further work. With
 * `--sockets`, of the owner's post: counted, notified, streamed.
 */
async function signedActivity(actor) {
  const n = ++sequence;
  const body = JSON.stringify({
    "@context": "https://www.w3.org/ns/activitystreams",
    id: `http://${actor.host}/activities/${n}`,
    type: "Like",
    actor: actor.id,
    object: ownerPosts.length > 0 ? likedBy(actor) : `http://${actor.host}/notes/${n}`,
  });
  const signed = await signedPost(new URL("/inbox", ORIGIN), body, actor);
  // Each remote server sends from its own address, as on the real network.
  signed.headers["cf-connecting-ip"] = actor.host.split(":")[0];
  return signed;
}

/** When each measured POST went and was answered (`now()`), in order. */
const posts = [];

async function post(actor) {
  const { url, body, headers } = await signedActivity(actor);
  const start = now();
  const res = await fetch(url, { method: "POST", headers, body });
  await res.arrayBuffer();
  const end = now();
  posts.push({ start, end });
  return { status: res.status, ms: end - start };
}

async function startOutpost(state) {
  const env = wranglerEnv("bench");
  migrate(state, env);
  return startInstance({
    port: PORT,
    state,
    env,
    log: Boolean(process.env.BENCH_LOG),
    ...(PROFILE ? { inspectorPort: INSPECTOR_PORT } : {}),
  });
}

/** The instance's counters (all labels summed, or by the label given). */
async function metrics() {
  const { total } = await scrapeMetrics(ORIGIN, "bench");
  return {
    roundTrips: total("outpost_d1_round_trips_total"),
    queries: total("outpost_d1_queries_total"),
    rowsRead: total("outpost_d1_rows_read_total"),
    rowsWritten: total("outpost_d1_rows_written_total"),
    kvReads: total("activitypub_kv_reads_total"),
    kvWrites: total("activitypub_kv_writes_total"),
    cache: Object.fromEntries(
      ["hit", "miss", "refresh", "memo"].map((r) => [r, total(ACTOR_CACHE, `result="${r}"`)]),
    ),
  };
}

/** Runs `count` requests, `CONCURRENCY` at a time; their latencies and statuses. */
async function drive(count, request) {
  const statuses = {};
  const latencies = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const { status, ms } = await request(next++);
        statuses[status] = (statuses[status] ?? 0) + 1;
        latencies.push(ms);
        if (GAP_MS > 0) await new Promise((r) => setTimeout(r, GAP_MS));
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { statuses, latencies, wallMs: performance.now() - started };
}

async function trivialGet() {
  const start = performance.now();
  const res = await fetch(`${ORIGIN}/.well-known/nodeinfo`);
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - start };
}

/** Posts as the owner; the post's ActivityPub id. */
async function postAsOwner(text) {
  const res = await fetch(`${ORIGIN}/api/v1/statuses`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ status: text, visibility: "public" }),
  });
  if (!res.ok) throw new Error(`posting: ${res.status} ${await res.text()}`);
  return (await res.json()).uri;
}

/** `n` sockets in a child (`socketClient`); `stop` answers their frames' times and its CPU. */
async function openSockets(n) {
  const argv = ["--socket-client", "--sockets", n, "--port", PORT, "--streams", STREAMS];
  // Node's WebSocket is global from 22 on, behind a flag before.
  const flag = typeof WebSocket === "undefined" ? ["--experimental-websocket"] : [];
  const execArgv = [...flag, ...process.execArgv];
  const child = fork(fileURLToPath(import.meta.url), argv.map(String), { execArgv });
  const [ready] = await once(child, "message");
  if (ready !== "ready") throw new Error(`sockets: ${ready}`);
  return {
    stop() {
      child.send("stop");
      return once(child, "message").then(([report]) => report);
    },
  };
}

/** The child: opens the sockets, each subscribed to `STREAMS`, and notes when frames come. */
async function socketClient() {
  const arrivals = [];
  const open = () =>
    new Promise((resolve) => {
      const ws = new WebSocket(`${ORIGIN.replace(/^http/, "ws")}/api/v1/streaming`, TOKEN);
      ws.onerror = () => process.send("socket refused", () => process.exit(1));
      ws.onmessage = () => arrivals.push(now());
      ws.onopen = () => {
        for (const stream of STREAMS) ws.send(JSON.stringify({ type: "subscribe", stream }));
        resolve(ws);
      };
    });
  const sockets = await Promise.all(Array.from({ length: SOCKETS }, open));
  // Subscriptions are handled in order: give them a moment before the run.
  await new Promise((r) => setTimeout(r, 500));
  const cpu = process.cpuUsage();
  process.send("ready");
  process.once("message", () => {
    const { user, system } = process.cpuUsage(cpu);
    for (const ws of sockets) ws.close();
    process.send({ arrivals, cpuMs: (user + system) / 1000 }, () => process.exit(0));
  });
}

/**
 * At concurrency 1, each POST's frames (up to the next POST): how many came before its answer,
 * and the last one's delay after it (p50).
 */
function framesByAnswer(arrivals) {
  if (CONCURRENCY !== 1 || arrivals.length === 0) return {};
  const lastAfter = [];
  let before = 0;
  posts.forEach(({ start, end }, n) => {
    const next = posts[n + 1]?.start ?? Number.POSITIVE_INFINITY;
    const mine = arrivals.filter((t) => t >= start && t < next);
    before += mine.filter((t) => t < end).length;
    if (mine.length > 0) lastAfter.push(mine[mine.length - 1] - end);
  });
  lastAfter.sort((a, b) => a - b);
  const p50 = Number(percentile(lastAfter, 50).toFixed(1));
  return { framesBeforeAnswer: before, lastFrameAfterAnswerP50Ms: p50 };
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const state = mkdtempSync(join(tmpdir(), "outpost-bench-"));
  const { servers, actors } = await startRemotes();
  const dev = await startOutpost(state);
  try {
    if (SOCKETS !== undefined) {
      const rounds = Math.ceil(ACTIVITIES / actors.length) + 1;
      for (let i = 0; i < rounds; i++) ownerPosts.push(await postAsOwner(`liked, ${i}`));
    }
    // Warm-up: one activity per actor, so each key is fetched and cached once.
    await Promise.all(actors.map((a) => post(a)));
    const sockets = SOCKETS === undefined ? undefined : await openSockets(SOCKETS);

    const before = await metrics();
    // The Worker's isolate through wrangler's inspector; the simulators' through the runtime's.
    const runtime = PROFILE ? await runtimeInspector(dev.pid) : undefined;
    const profile = PROFILE ? await startProfile(INSPECTOR_PORT) : undefined;
    posts.length = 0;
    const cpuBefore = workerdCpuMs(dev.pid);
    const activities = await profiled(runtime, () =>
      drive(ACTIVITIES, (i) => post(actors[i % actors.length])),
    );
    const { statuses, latencies, wallMs } = activities.done;
    const workerdCpu = workerdCpuMs(dev.pid) - cpuBefore;
    const workerProfile = await profile?.stop();
    const cpu = workerProfile === undefined ? undefined : cpuOf(workerProfile, ["verify"]);
    await new Promise((r) => setTimeout(r, 2500)); // metrics are flushed after the answers
    const received = await sockets?.stop();
    const after = await metrics();
    const getProfile = PROFILE ? await startProfile(INSPECTOR_PORT) : undefined;
    const trivial = await profiled(runtime, () => drive(ACTIVITIES, () => trivialGet()));
    const gets = trivial.done;
    const getCpu = getProfile === undefined ? undefined : cpuOf(await getProfile.stop());
    const accepted = statuses[202] ?? 0;
    const perActivity = (n, digits = 2) => Number((n / Math.max(1, accepted)).toFixed(digits));
    const per = (key) => perActivity(after[key] - before[key]);
    const streamed = received && {
      sockets: SOCKETS,
      streams: STREAMS,
      framesReceived: received.arrivals.length,
      socketClientCpuMsPerActivity: perActivity(received.cpuMs),
      ...framesByAnswer(received.arrivals),
    };
    const result = {
      activities: ACTIVITIES,
      concurrency: CONCURRENCY,
      remoteHosts: HOSTS,
      accepted,
      statuses,
      wallMs: Math.round(wallMs),
      activitiesPerSec: Math.round((accepted / wallMs) * 1000),
      trivialGetPerSec: Math.round(((gets.statuses[200] ?? 0) / gets.wallMs) * 1000),
      p50Ms: Number(percentile(latencies, 50).toFixed(1)),
      p99Ms: Number(percentile(latencies, 99).toFixed(1)),
      trivialGetP50Ms: Number(percentile(gets.latencies, 50).toFixed(1)),
      d1RoundTripsPerActivity: per("roundTrips"),
      d1QueriesPerActivity: per("queries"),
      d1RowsReadPerActivity: per("rowsRead"),
      d1RowsWrittenPerActivity: per("rowsWritten"),
      kvReadsPerActivity: per("kvReads"),
      kvWritesPerActivity: per("kvWrites"),
      workerdCpuMsPerActivity: perActivity(workerdCpu),
      ...streamed,
      ...(cpu && {
        workerCpuMsPerActivity: perActivity(cpu.busyMs, 3),
        verifyMsPerActivity: perActivity(cpu.frames.verify, 3),
        isolateTop: cpu.top,
      }),
      ...(activities.profiles && {
        isolatesMsPerActivity: whereTimeGoes(activities.profiles, {
          worker: cpu.busyMs,
          count: accepted,
        }),
        isolatesMsPerTrivialGet: whereTimeGoes(trivial.profiles, {
          worker: getCpu.busyMs,
          count: gets.statuses[200] ?? 0,
        }),
      }),
      actorCachePerActivity: Object.fromEntries(
        Object.keys(after.cache).map((r) => [r, perActivity(after.cache[r] - before.cache[r])]),
      ),
    };
    const liked = ownerPosts.length === 0 ? "" : " of the owner's posts";
    console.log(
      `\ninbox benchmark (local workerd, one process; signed Like activities${liked} at /inbox)`,
    );
    console.table({
      activities: result.activities,
      concurrency: result.concurrency,
      "remote hosts": result.remoteHosts,
      "accepted (202)": result.accepted,
      "other statuses": JSON.stringify(
        Object.fromEntries(Object.entries(statuses).filter(([s]) => s !== "202")),
      ),
      "wall ms": result.wallMs,
      "verified activities/s": result.activitiesPerSec,
      "p50 ms": result.p50Ms,
      "p99 ms": result.p99Ms,
      "trivial GETs/s (same run)": result.trivialGetPerSec,
      "trivial GET p50 ms": result.trivialGetP50Ms,
      "D1 round trips / activity": result.d1RoundTripsPerActivity,
      "D1 queries / activity": result.d1QueriesPerActivity,
      "D1 rows read / written per activity": `${result.d1RowsReadPerActivity} / ${result.d1RowsWrittenPerActivity}`,
      "KV reads / activity": result.kvReadsPerActivity,
      "KV writes / activity": result.kvWritesPerActivity,
      "actor cache / activity": JSON.stringify(result.actorCachePerActivity),
      "workerd CPU ms / activity": result.workerdCpuMsPerActivity,
      ...(streamed && {
        "streaming sockets": SOCKETS,
        "frames received": streamed.framesReceived,
        "socket client CPU ms / activity": streamed.socketClientCpuMsPerActivity,
        ...(streamed.framesBeforeAnswer !== undefined && {
          "frames before their POST's answer": streamed.framesBeforeAnswer,
          "last frame after the answer, p50 ms": streamed.lastFrameAfterAnswerP50Ms,
        }),
      }),
    });
    if (cpu !== undefined) {
      console.log(
        `Worker isolate CPU: ${result.workerCpuMsPerActivity} ms per activity (verify ${result.verifyMsPerActivity} ms); top frames:`,
      );
      console.table(result.isolateTop);
    }
    if (result.isolatesMsPerActivity !== undefined) {
      printWhereTimeGoes({
        "per activity": result.isolatesMsPerActivity,
        "per trivial GET": result.isolatesMsPerTrivialGet,
      });
    }
    if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await stopInstance(dev);
    for (const server of servers) server.close();
    rmSync(state, { recursive: true, force: true });
  }
}

if (args["socket-client"] === "true") await socketClient();
else await main();
