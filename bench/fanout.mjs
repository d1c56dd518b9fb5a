#!/usr/bin/env node
/**
 * `npm run bench:fanout [-- --followers 1000 --hosts 500 --latency 50 --fault-wait 600
 *   --fault-window --peers-apart --no-naive --only clean|outpost|fedify|fedify-clean --json FILE]`
 *
 * One post × N followers on H remote hosts (most advertise a shared inbox, a fifth do not),
 * delivered by a fresh local Outpost (wrangler dev, development federation switch on) to fake
 * remote servers on 127.0.0.1 that answer after a latency. Then the same with faults (10% of
 * hosts answer 500 twice, 5% refuse connections for a while, 2% hang past the timeout, 1%
 * answer 410; the same hosts for every sender, bench/farm.mjs's `faultModes`). Then the same
 * audience, clean and with the same faults, sent by Fedify peers (@fedify/fedify on Node with
 * its production defaults: `ParallelMessageQueue` at 6 and at 10, and its default in-process
 * queue; bench/senders.mjs; and Fedify as a Worker on a Cloudflare Queue under wrangler dev,
 * 6 deliveries an invocation side by side, `fedifyWorkerd`: bench/senders-workerd.mjs), and
 * clean by a naive loop (each follower in turn).
 *
 * Each sender is scored from what the fake servers recorded (bench/farm.mjs's `scoreRun`):
 * POSTs, inboxes reached, duplicates, time until every deliverable inbox and every inbox on a
 * healthy host had it, delivered by 60/150/300/600 s, POSTs to hung hosts, POSTs to a 410
 * inbox after its first 410. A faults run ends when every deliverable inbox has it or at
 * `--fault-wait` seconds (600). The Fedify peers' faults runs on Node go side by side (each
 * its own activity; `--peers-apart` runs them one after another), then the Worker's alone;
 * their clean runs one at a time. The Worker peer's own CPU is read as Outpost's is, from a
 * V8 profile of its isolate in its clean run.
 * `--json FILE` writes `{ audience, scenarios: [clean, faults] }`, each scenario with `peers`.
 *
 * Outside the Worker it reads: what the fake servers received, the workerd process's CPU
 * time (/proc), and the instance's own /metrics (queue messages, Durable Object calls, D1 rows).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { common, faultsOf, peersClean, peersFaults, REFUSE_MS } from "./fanout-peers.mjs";
import { printCpu, printScenario, seconds } from "./fanout-report.mjs";
import { Farm, followersOf, scoreRun, sleep, uniqueInboxesOf } from "./farm.mjs";
import {
  cliArg,
  migrate,
  scrapeMetrics,
  startInstance,
  stopInstance,
  wranglerEnv,
} from "./instance.mjs";
import { cpuOf, isolateCpu, startProfile } from "./profile.mjs";
import { naiveLoop } from "./senders.mjs";

const argv = process.argv.slice(2);
const FOLLOWERS = Number(cliArg("followers", 1000));
const HOSTS = Number(cliArg("hosts", 500));
const LATENCY = Number(cliArg("latency", 50));
/** How long a faults run may take, for Outpost and for each peer (600 s: "delivered by 600 s"). */
const FAULT_WAIT = Number(cliArg("fault-wait", 600)) * 1000;
/**
 * Faults: watch every sender for the whole `--fault-wait`, even once it has reached every
 * deliverable inbox, so that POSTs to hung hosts and 410 inboxes are counted over the same
 * window for all.
 */
const FULL_WINDOW = argv.includes("--fault-window");
/** Faults: run the Fedify peers one after another rather than side by side (slower). */
const PEERS_APART = argv.includes("--peers-apart");
/** Skip the naive loop (about a minute at the default size). */
const NAIVE = !argv.includes("--no-naive");
const PORT = Number(cliArg("port", 8798));
const JSON_FILE = cliArg("json");
/**
 * `clean` runs the first scenario only, `outpost` both of Outpost's, `fedify` the peers'
 * only, without an instance, `fedify-clean` their first scenario (for quick measurements).
 */
const ONLY = cliArg("only");
const ORIGIN = `http://localhost:${PORT}`;
/** wrangler dev's inspector, for the CPU profile of the Worker's isolate. */
const INSPECTOR_PORT = Number(cliArg("inspector-port", PORT + 1000));
/** Inboxes per delivery message (`MAX_INBOXES_PER_MESSAGE` in src/federation/delivery/policy.ts). */
const INBOXES_PER_MESSAGE = 6;
const OWNER = `${ORIGIN}/users/owner`;
const TOKEN = "bench-owner-token";
const SHARED_FRACTION = 0.8;

// ---------------------------------------------------------------- the local instance

const env = wranglerEnv(TOKEN);

function seed(state, followers) {
  const now = Date.now();
  const q = (s) => (s === null ? "NULL" : `'${s.replace(/'/g, "''")}'`);
  const lines = [];
  for (const f of followers) {
    lines.push(
      `INSERT INTO actors (id, type, preferred_username, domain, inbox, shared_inbox, fetched_at) VALUES (${q(f.id)}, 'Person', 'u', ${q(f.host)}, ${q(f.inbox)}, ${q(f.sharedInbox)}, ${now});`,
      `INSERT INTO follows (actor, follower, state, created_at, accepted_at) VALUES (${q(OWNER)}, ${q(f.id)}, 'accepted', ${now}, ${now});`,
    );
  }
  const file = join(state, "seed.sql");
  writeFileSync(file, lines.join("\n"));
  const run = (args) => {
    const r = spawnSync("wrangler", args, { env, stdio: ["ignore", "ignore", "pipe"] });
    if (r.status !== 0) throw new Error(`wrangler ${args.join(" ")}: ${r.stderr}`);
  };
  migrate(state, env);
  run(["d1", "execute", "DB", "--local", "--persist-to", state, "--file", file]);
}

/** The workerd processes under a process, and their CPU time (user + system), in ms. */
function cpuMs(rootPid) {
  const tick = 1000 / Number(spawnSync("getconf", ["CLK_TCK"]).stdout.toString().trim() || 100);
  const parents = new Map();
  const stats = new Map();
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(pid), Number(fields[1]));
      stats.set(Number(pid), {
        comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
        cpu: (Number(fields[11]) + Number(fields[12])) * tick,
      });
    } catch {}
  }
  const under = (pid) => {
    for (let p = pid; p > 1; p = parents.get(p) ?? 0) if (p === rootPid) return true;
    return false;
  };
  let total = 0;
  for (const [pid, { comm, cpu }] of stats)
    if (comm.startsWith("workerd") && under(pid)) total += cpu;
  return total;
}

/** Totals of the instance's counters (all labels summed). */
async function metrics() {
  const { total } = await scrapeMetrics(ORIGIN, TOKEN);
  return {
    queueMessages: total("outpost_queue_messages_sent_total"),
    doCalls: total("outpost_do_calls_total"),
    flushes: total("outpost_metrics_flushes_total"),
    objectRows: total("outpost_metrics_rows_written_total"),
    d1Read: total("outpost_d1_rows_read_total"),
    d1Written: total("outpost_d1_rows_written_total"),
    kvReads: total("activitypub_kv_reads_total"),
    kvWrites: total("activitypub_kv_writes_total"),
  };
}

async function post(text) {
  const res = await fetch(`${ORIGIN}/api/v1/statuses`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify({ status: text }),
  });
  if (!res.ok) throw new Error(`post: ${res.status} ${await res.text()}`);
  const status = await res.json();
  return { id: status.id, activity: `${status.uri}/activity` };
}

async function deliveries(statusId) {
  const res = await fetch(`${ORIGIN}/api/v1/statuses/${statusId}/deliveries`, {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  return (await res.json()).activities[0];
}

// ---------------------------------------------------------------- the scenarios

async function outpostClean(farm, followers, devPid) {
  farm.reset();
  const expected = uniqueInboxesOf(followers);
  // The owner (and its key pair) is made on the first request: not part of what is measured.
  await fetch(`${ORIGIN}/api/v1/accounts/verify_credentials`, {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  await sleep(1500);
  const before = await metrics();
  const cpuBefore = cpuMs(devPid);
  const profile = await startProfile(INSPECTOR_PORT);
  const started = Date.now();
  const { id, activity } = await post("Hello, 1,000 followers.");
  for (;;) {
    if (farm.receipts(activity).inboxes.size >= expected.size || Date.now() - started > 300_000)
      break;
    await sleep(20);
  }
  await sleep(2500); // the last invocations' metrics are flushed after they answer
  const cpu = cpuMs(devPid) - cpuBefore;
  const sampled = await profile.stop();
  if (process.env.OUTPOST_PROFILE_FILE)
    writeFileSync(process.env.OUTPOST_PROFILE_FILE, JSON.stringify(sampled));
  const isolate = cpuOf(sampled, ["sign"]);
  const after = await metrics();
  const status = await deliveries(id);
  const score = scoreRun(farm, followers, { activityId: activity, started });
  const { parked, failed } = status.summary;
  return {
    ...common(score, {
      lost: expected.size - score.delivered - parked - failed,
      queueMessages: after.queueMessages - before.queueMessages,
    }),
    parked,
    failed,
    // The whole workerd process (the simulator included), not the Worker's isolate.
    processCpuMsPerDelivery: Number((cpu / Math.max(1, score.posts)).toFixed(3)),
    ...isolateCpu(isolate, { posts: score.posts, perInvocation: INBOXES_PER_MESSAGE }),
    doCalls: after.doCalls - before.doCalls,
    // Each a request to the Metrics object: one an invocation, and the scrapes' own.
    metricsFlushes: after.flushes - before.flushes,
    // What that object wrote to its storage (told a flush late).
    metricsRowsWritten: after.objectRows - before.objectRows,
    d1RowsRead: after.d1Read - before.d1Read,
    d1RowsWritten: after.d1Written - before.d1Written,
    kvReads: after.kvReads - before.kvReads,
    kvWrites: after.kvWrites - before.kvWrites,
  };
}

async function outpostFaults(farm, followers) {
  const { modeOf, refusing } = faultsOf(farm);
  farm.reset(modeOf);
  const before = await metrics();
  farm.refuseFor(refusing, REFUSE_MS);
  const started = Date.now();
  const { id, activity } = await post("Hello again, with faults.");
  let score;
  for (;;) {
    score = scoreRun(farm, followers, { activityId: activity, started, modeOf });
    const done = score.undelivered.length === 0 && !FULL_WINDOW;
    if (done || Date.now() - started > FAULT_WAIT) break;
    await sleep(250);
  }
  const waitedMs = Date.now() - started;
  await sleep(2000);
  const after = await metrics();
  const status = await deliveries(id);
  const byState = status.summary;
  // Per host: a host the deliveries view no longer accounts for was lost.
  const accounted =
    byState.delivered + byState.pending + byState.retrying + byState.parked + byState.failed;
  return {
    ...common(score, {
      lost: farm.hosts.length - accounted,
      queueMessages: after.queueMessages - before.queueMessages,
      waitedMs,
    }),
    retrying: byState.retrying,
    parked: byState.parked,
    failed: byState.failed,
    doCalls: after.doCalls - before.doCalls,
    metricsFlushes: after.flushes - before.flushes,
    // What kept the deliverable inboxes that were not reached (the first few), for diagnosis.
    stragglers: score.undelivered.slice(0, 10).map((inbox) => {
      const host = new URL(inbox).host;
      const posts = farm.state.get(host).posts.filter((p) => p.activity === activity);
      return {
        inbox,
        mode: modeOf(farm.hosts.findIndex((h) => h.host === host)),
        posts: posts.map((p) => ({ path: p.path, ok: p.ok, at: p.at - started })),
        delivery: status.hosts.find((h) => h.host === host),
      };
    }),
  };
}

// ---------------------------------------------------------------- main

async function main() {
  const farm = new Farm(LATENCY);
  await farm.start(HOSTS);
  const followers = followersOf(farm, FOLLOWERS, SHARED_FRACTION);
  if (ONLY === "fedify" || ONLY === "fedify-clean") {
    const clean = await peersClean(farm, followers);
    printCpu(clean);
    if (ONLY === "fedify-clean") {
      if (JSON_FILE) writeFileSync(JSON_FILE, `${JSON.stringify({ clean }, null, 2)}\n`);
      await farm.close();
      return;
    }
    const faults = await peersFaults(farm, followers, {
      waitMs: FAULT_WAIT,
      apart: PEERS_APART,
      fullWindow: FULL_WINDOW,
    });
    console.log(JSON.stringify({ clean, faults }, null, 1));
    if (JSON_FILE) writeFileSync(JSON_FILE, `${JSON.stringify({ clean, faults }, null, 2)}\n`);
    await farm.close();
    return;
  }
  const state = mkdtempSync(join(tmpdir(), "outpost-fanout-"));
  let dev;
  try {
    seed(state, followers);
    dev = await startInstance({ port: PORT, state, env, inspectorPort: INSPECTOR_PORT });
    const clean = await outpostClean(farm, followers, dev.pid);
    if (ONLY === "clean") {
      console.log(JSON.stringify(clean, null, 1));
      printCpu({ Outpost: clean });
      if (JSON_FILE) writeFileSync(JSON_FILE, `${JSON.stringify({ clean }, null, 2)}\n`);
      return;
    }
    const faults = await outpostFaults(farm, followers);
    if (ONLY === "outpost") {
      console.log(JSON.stringify({ clean, faults }, null, 1));
      return;
    }
    await stopInstance(dev);
    dev = undefined;
    const cleanPeers = await peersClean(farm, followers);
    const naive = NAIVE ? await naiveLoop(farm, followers) : null;
    const faultPeers = await peersFaults(farm, followers, {
      waitMs: FAULT_WAIT,
      apart: PEERS_APART,
      fullWindow: FULL_WINDOW,
    });

    // The isolate's CPU is read in the clean run; with faults, timeouts and retries would
    // blur it. The signature's floor is the same workerd's, for both.
    const unmeasured = {
      workerCpuMsPerDelivery: null,
      maxInvocationCpuMs: null,
      signFloorMs: clean.signFloorMs,
    };
    const result = {
      audience: {
        followers: FOLLOWERS,
        hosts: HOSTS,
        latencyMs: LATENCY,
        sharedInboxFraction: SHARED_FRACTION,
        faultWaitMs: FAULT_WAIT,
        faultPeersSideBySide: !PEERS_APART,
        faultWholeWindow: FULL_WINDOW,
      },
      scenarios: [
        {
          name: "clean",
          ...clean,
          naiveWallMs: naive?.wallMs ?? null,
          naivePosts: naive?.posts ?? null,
          peers: cleanPeers,
        },
        { name: "faults", ...faults, ...unmeasured, peers: faultPeers },
      ],
    };
    console.log(
      `\nfan-out benchmark: 1 post × ${FOLLOWERS} followers on ${HOSTS} hosts (${Math.round(SHARED_FRACTION * 100)}% with a shared inbox), ${LATENCY} ms latency per POST`,
    );
    printScenario("clean", result.scenarios[0]);
    printCpu({ Outpost: clean, fedifyWorkerd: cleanPeers.fedifyWorkerd });
    if (naive) console.log(`naive loop: ${naive.posts} POSTs, ${seconds(naive.wallMs)} s`);
    printScenario(
      `faults (10% 500 twice, 5% refusing ${REFUSE_MS / 1000} s, 2% hanging, 1% 410; bound ${FAULT_WAIT / 1000} s${PEERS_APART ? "" : "; the Fedify peers side by side"}):`,
      result.scenarios[1],
    );
    console.log(
      `Outpost, clean: ${clean.processCpuMsPerDelivery} ms of workerd CPU per delivery (whole process), ${clean.doCalls} DO calls, ${clean.d1RowsRead} D1 rows read, ${clean.d1RowsWritten} written`,
    );
    if (JSON_FILE) writeFileSync(JSON_FILE, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    if (dev !== undefined) await stopInstance(dev);
    await farm.close();
    rmSync(state, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
