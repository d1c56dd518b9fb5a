#!/usr/bin/env node
/**
 * `npm run bench:fanout [-- --followers 1000 --hosts 500 --latency 50 --fault-wait 120 --json FILE]`
 *
 * One post × N followers on H remote hosts (most advertise a shared inbox, a fifth do not),
 * delivered by a fresh local Outpost (wrangler dev, development federation switch on) to fake
 * remote servers on 127.0.0.1 that answer after a latency. Then the same with faults (10% of
 * hosts answer 500 twice, 5% refuse connections for a while, 2% hang past the timeout, 1%
 * answer 410). Then the same audience sent by a Fedify-based sender (@fedify/fedify on Node,
 * its in-process queue) and by a naive loop (each follower in turn), for the ratios.
 *
 * Outside the Worker it reads: what the fake servers received, the workerd process's CPU
 * time (/proc), and the instance's own /metrics (queue messages, Durable Object calls, D1 rows).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Farm, followersOf, sleep, uniqueInboxesOf } from "./farm.mjs";
import { migrate, startInstance, stopInstance, wranglerEnv } from "./instance.mjs";
import { fedifySender, naiveLoop } from "./senders.mjs";

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const FOLLOWERS = Number(arg("followers", 1000));
const HOSTS = Number(arg("hosts", 500));
const LATENCY = Number(arg("latency", 50));
const FAULT_WAIT = Number(arg("fault-wait", 150)) * 1000;
const PORT = Number(arg("port", 8798));
const JSON_FILE = arg("json");
/** `clean` runs the first scenario only, `outpost` both of Outpost's (for quick measurements). */
const ONLY = arg("only");
const ORIGIN = `http://localhost:${PORT}`;
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
  const text = await (
    await fetch(`${ORIGIN}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })
  ).text();
  const total = (name) =>
    text
      .split("\n")
      .filter((l) => l.startsWith(name) && !l.startsWith("#"))
      .reduce((n, l) => n + Number(l.split(" ").pop()), 0);
  return {
    queueMessages: total("outpost_queue_messages_sent_total"),
    doCalls: total("outpost_do_calls_total"),
    d1Read: total("outpost_d1_rows_read_total"),
    d1Written: total("outpost_d1_rows_written_total"),
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
  await sleep(1500);
  const before = await metrics();
  const cpuBefore = cpuMs(devPid);
  const started = Date.now();
  const { id, activity } = await post("Hello, 1,000 followers.");
  let receipts;
  for (;;) {
    receipts = farm.receipts(activity);
    if (receipts.inboxes.size >= expected.size || Date.now() - started > 300_000) break;
    await sleep(20);
  }
  const wallMs = Date.now() - started;
  await sleep(2500); // the last invocations' metrics are flushed after they answer
  const cpu = cpuMs(devPid) - cpuBefore;
  const after = await metrics();
  const status = await deliveries(id);
  return {
    posts: receipts.posts,
    uniqueInboxes: expected.size,
    delivered: receipts.inboxes.size,
    parked: status.summary.parked,
    failed: status.summary.failed,
    lost: expected.size - receipts.inboxes.size - status.summary.parked - status.summary.failed,
    wallMs,
    cpuMsPerDelivery: Number((cpu / Math.max(1, receipts.posts)).toFixed(3)),
    queueMessages: after.queueMessages - before.queueMessages,
    doCalls: after.doCalls - before.doCalls,
    d1RowsRead: after.d1Read - before.d1Read,
    d1RowsWritten: after.d1Written - before.d1Written,
  };
}

async function outpostFaults(farm, followers) {
  const n = farm.hosts.length;
  const modes = (i) => {
    const p = i / n;
    if (p < 0.1) return "fail500twice";
    if (p < 0.15) return "refuse";
    if (p < 0.17) return "hang";
    if (p < 0.18) return "gone";
    return "ok";
  };
  // Fault hosts are spread over shared and non-shared ones alike.
  const order = farm.hosts.map((_, i) => i).sort((a, b) => ((a * 7919) % n) - ((b * 7919) % n));
  const modeOf = (i) => modes(order.indexOf(i));
  farm.reset(modeOf);
  const refusing = farm.hosts.map((_, i) => i).filter((i) => modeOf(i) === "refuse");
  farm.refuseFor(refusing, 20_000);
  const expected = uniqueInboxesOf(followers);
  const hostsByMode = (m) =>
    new Set(farm.hosts.filter((_, i) => modeOf(i) === m).map((h) => h.host));
  const goneHosts = hostsByMode("gone");
  const hangHosts = hostsByMode("hang");
  const deliverable = [...expected].filter((inbox) => {
    const host = new URL(inbox).host;
    return !goneHosts.has(host) && !hangHosts.has(host);
  });
  const started = Date.now();
  const { id, activity } = await post("Hello again, with faults.");
  let receipts;
  for (;;) {
    receipts = farm.receipts(activity);
    const done = deliverable.every((i) => receipts.inboxes.has(i));
    if (done || Date.now() - started > FAULT_WAIT) break;
    await sleep(250);
  }
  const wallMs = Date.now() - started;
  await sleep(2000);
  const status = await deliveries(id);
  const byState = status.summary;
  const postsTo = (hosts) =>
    [...hosts].reduce(
      (n, h) => n + farm.state.get(h).posts.filter((p) => p.activity === activity).length,
      0,
    );
  const inboxesOn = (hosts) => [...expected].filter((i) => hosts.has(new URL(i).host)).length;
  const accounted =
    byState.delivered + byState.pending + byState.retrying + byState.parked + byState.failed;
  return {
    posts: receipts.posts,
    uniqueInboxes: expected.size,
    deliverable: deliverable.length,
    delivered: deliverable.filter((i) => receipts.inboxes.has(i)).length,
    retrying: byState.retrying,
    parked: byState.parked,
    failed: byState.failed,
    hostsTracked: accounted,
    hostsAddressed: n,
    lost: n - accounted,
    postsToGoneInboxesAfterFirst: postsTo(goneHosts) - inboxesOn(goneHosts),
    postsToHangingHosts: postsTo(hangHosts),
    wallMs,
    // What kept the deliverable inboxes that were not reached (the first few), for diagnosis.
    stragglers: deliverable
      .filter((i) => !receipts.inboxes.has(i))
      .slice(0, 10)
      .map((inbox) => {
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
  const state = mkdtempSync(join(tmpdir(), "outpost-fanout-"));
  let dev;
  try {
    seed(state, followers);
    dev = await startInstance({ port: PORT, state, env });
    const clean = await outpostClean(farm, followers, dev.pid);
    if (ONLY === "clean") {
      console.table({ "Outpost (clean)": clean });
      return;
    }
    const faults = await outpostFaults(farm, followers);
    if (ONLY === "outpost") {
      console.log(JSON.stringify({ clean, faults }, null, 1));
      return;
    }
    await stopInstance(dev);
    dev = undefined;
    const fedify = await fedifySender(farm, followers);
    const naive = await naiveLoop(farm, followers);
    const ratio = (x) => Number((x / clean.wallMs).toFixed(1));

    console.log(
      `\nfan-out benchmark: 1 post × ${FOLLOWERS} followers on ${HOSTS} hosts (${Math.round(SHARED_FRACTION * 100)}% with a shared inbox), ${LATENCY} ms latency per POST`,
    );
    console.table({
      "Outpost (clean)": {
        POSTs: clean.posts,
        "unique inboxes": clean.uniqueInboxes,
        delivered: clean.delivered,
        "wall ms": clean.wallMs,
        "CPU ms/delivery": clean.cpuMsPerDelivery,
        "queue msgs": clean.queueMessages,
        "DO calls": clean.doCalls,
        "D1 rows read": clean.d1RowsRead,
        "D1 rows written": clean.d1RowsWritten,
        lost: clean.lost,
      },
      "Fedify sender": {
        POSTs: fedify.posts,
        "unique inboxes": clean.uniqueInboxes,
        delivered: fedify.delivered,
        "wall ms": fedify.wallMs,
        "× Outpost": ratio(fedify.wallMs),
      },
      "naive loop": {
        POSTs: naive.posts,
        "unique inboxes": FOLLOWERS,
        delivered: naive.delivered,
        "wall ms": naive.wallMs,
        "× Outpost": ratio(naive.wallMs),
      },
    });
    console.log("\nwith faults (10% 500 twice, 5% refusing 20 s, 2% hanging, 1% 410):");
    console.table({ "Outpost (faults)": faults });

    const result = {
      clean: {
        ...clean,
        fedifyWallMs: fedify.wallMs,
        naiveWallMs: naive.wallMs,
        fedifyPosts: fedify.posts,
        naivePosts: naive.posts,
      },
      faults: {
        ...faults,
        cpuMsPerDelivery: null,
        queueMessages: null,
        doCalls: null,
        fedifyWallMs: null,
        naiveWallMs: null,
      },
    };
    if (JSON_FILE) writeFileSync(JSON_FILE, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    if (dev !== undefined) await stopInstance(dev);
    await farm.close();
    rmSync(state, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
