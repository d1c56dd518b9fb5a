#!/usr/bin/env node
/**
 * `npm run bench:soak [-- --minutes 30 --port 8790 --rate 3 --post-every 20 --settle 180
 *   --hosts 24 --retry-base 500 --json FILE]`
 *
 * A fault soak, not a test: one fresh local Outpost (wrangler dev, development federation on,
 * DEV_RETRY_BASE_MS short, run from a copy of src/ taken at the start so that edits in the
 * tree do not reload it; `--live` runs the tree) driven for `--minutes` at a steady rate.
 *
 * Inbound: `--rate` requests a second (at most 16 in flight; beyond that a tick is skipped
 * and counted) to the owner's inbox and the shared inbox, from 12 actors on 4 fake servers
 * (127.0.0.2-5, real RSA keys, draft-cavage): valid Follow, Like, Announce, Create(Note)
 * replies and Undo; forged (bad signature, another actor's key, unsigned, Date 2 h old,
 * Digest of another body); replayed (the same signed request again, the same activity id
 * re-signed); hostile (1.1 MB body, JSON nested 20,000 deep, a keyId on a server that
 * accepts connections and never answers). Every answer is counted by class and kind; every
 * 5xx is kept (the first ten with their bodies).
 *
 * Outbound: the owner publishes every `--post-every` seconds to its followers: the 12
 * inbound actors (who follow during the warm-up) and 2 seeded followers on each of `--hosts`
 * farm servers on 127.0.0.1 (80% with a shared inbox), where about 1/6 answer 500 for 60 s
 * of every 180, 1/8 refuse connections for 60 s of every 180, 1/12 hang past the 10 s
 * timeout, 1/24 answer 410. Every server records each POST (activity id, inbox, answer).
 * When traffic stops, the 500 and refusing hosts recover and the soak waits (at most
 * `--settle` seconds) for every inbox not on a hanging or gone host to receive every post.
 * Then each expected (post, inbox) pair is: delivered (a 2xx receipt; more are duplicates),
 * or failed / parked / pending-or-retrying as the instance records its host for that post
 * (`GET /api/v1/statuses/:id/deliveries`), or else lost. Those records are also polled every
 * 15 s: a pair seen parked and later received counts as drained (a lower bound: a park
 * shorter than a poll goes unseen). `/metrics` (read every minute) gives deliveries by result,
 * parked included, hosts by state and the queue backlog. The deployed cron is fired every
 * 15 min. The workerd processes' RSS and CPU time (/proc) are sampled every 10 s.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { followersOf, sleep, uniqueInboxesOf } from "./farm.mjs";
import {
  cliArg,
  migrate,
  startInstance,
  stopInstance,
  stopOnExit,
  wranglerEnv,
} from "./instance.mjs";
import { account, Inbound, pickKind, receipts, seedSql, startRemotes } from "./soak-remotes.mjs";

const argv = process.argv.slice(2);
const MINUTES = Number(cliArg("minutes", 30));
const PORT = Number(cliArg("port", 8790));
const RATE = Number(cliArg("rate", 3));
const POST_EVERY = Number(cliArg("post-every", 20)) * 1000;
const SETTLE = Number(cliArg("settle", 180)) * 1000;
const FAULT_HOSTS = Number(cliArg("hosts", 24));
const RETRY_BASE_MS = String(cliArg("retry-base", 500));
const JSON_FILE = cliArg("json") && resolve(cliArg("json"));
const LIVE = argv.includes("--live");
const ORIGIN = `http://localhost:${PORT}`;
const OWNER = `${ORIGIN}/users/owner`;
const TOKEN = "soak-owner-token";
const MAX_IN_FLIGHT = 16;
const env = wranglerEnv(TOKEN);
const auth = { Authorization: `Bearer ${TOKEN}` };

/** Traffic time: faults follow it, and stop (hosts recover) once `running` is false. */
const clock = { start: Date.now(), end: 0, running: false };
const elapsed = () => (Date.now() - clock.start) / 1000;
const faulty = (offset) => clock.running && (elapsed() + offset) % 180 < 60;
const mmss = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;

/**
 * A copy of the instance's sources, taken now: wrangler dev reloads the Worker whenever a
 * source changes, and others may edit this tree meanwhile (`--live` runs the tree itself).
 */
function snapshot() {
  const dir = fs.mkdtempSync(join(tmpdir(), "outpost-soak-src-"));
  for (const f of ["src", "migrations", "wrangler.toml", "package.json", "tsconfig.json"]) {
    fs.cpSync(f, join(dir, f), { recursive: true });
  }
  fs.symlinkSync(resolve("node_modules"), join(dir, "node_modules"));
  return dir;
}

/** The migrations, then the farm's followers, straight into D1. */
function seed(state, followers) {
  const file = join(state, "seed.sql");
  fs.writeFileSync(file, seedSql(OWNER, followers));
  migrate(state, env);
  const args = ["d1", "execute", "DB", "--local", "--persist-to", state, "--file", file];
  const run = spawnSync("wrangler", args, { env, stdio: ["ignore", "ignore", "pipe"] });
  if (run.status !== 0) throw new Error(`seeding failed: ${run.stderr}`);
}

// ---------------------------------------------------------------- measuring the instance

const getconf = (name) => Number(String(spawnSync("getconf", [name]).stdout).trim());
const [TICK_MS, PAGE_BYTES] = [1000 / (getconf("CLK_TCK") || 100), getconf("PAGESIZE") || 4096];

/** workerd pid -> its CPU time (ms) when last seen: a reload replaces the process. */
const seen = new Map();

/**
 * The workerd processes under wrangler, from /proc: how many run, how many were ever seen,
 * their RSS (MB), and their CPU time (s; an exited one's as last sampled).
 */
function workerd(rootPid) {
  const procs = new Map();
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      procs.set(Number(pid), {
        parent: Number(f[1]),
        comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
        cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS,
        rss: Number(f[21]) * PAGE_BYTES,
      });
    } catch {}
  }
  const under = (pid) => {
    for (let p = pid; p > 1; p = procs.get(p)?.parent ?? 0) if (p === rootPid) return true;
    return false;
  };
  let [processes, rss] = [0, 0];
  for (const [pid, p] of procs) {
    if (!p.comm.startsWith("workerd") || !under(pid)) continue;
    [processes, rss] = [processes + 1, rss + p.rss];
    seen.set(pid, p.cpuMs);
  }
  const cpuS = Math.round([...seen.values()].reduce((a, b) => a + b, 0) / 100) / 10;
  return { processes, started: seen.size, rssMB: Math.round(rss / 2 ** 20), cpuS };
}

/** A GET of the owner's API: the body, or undefined when it could not be read. */
async function ownerGet(path) {
  try {
    const res = await fetch(`${ORIGIN}${path}`, {
      headers: auth,
      signal: AbortSignal.timeout(10_000),
    });
    return res.ok ? await res.text() : undefined;
  } catch {}
}

/** The instance's /metrics as a map of series to value; null when it could not be read. */
async function readMetrics() {
  const text = await ownerGet("/metrics");
  if (text === undefined) return null;
  const series = new Map();
  for (const line of text.split("\n").filter((l) => l !== "" && !l.startsWith("#"))) {
    const i = line.lastIndexOf(" ");
    series.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return series;
}

/** What the soak reads from /metrics: by label value, for the families it reports. */
function fromMetrics(m) {
  if (m === null) return null;
  const byLabel = (family) => {
    const series = [...m].filter(([k]) => k.startsWith(`${family}{`));
    return Object.fromEntries(series.map(([k, v]) => [k.match(/="([^"]*)"/)?.[1] ?? k, v]));
  };
  // No drain counter exists in /metrics today; if a series named so appears, it is summed.
  const drains = [...m].filter(([k]) => /drain/i.test(k)).map(([, v]) => v);
  return {
    deliveries: byLabel("activitypub_deliveries_total"),
    hosts: byLabel("activitypub_hosts"),
    queue: m.get("activitypub_queue_size") ?? null,
    drained: drains.length > 0 ? drains.reduce((a, b) => a + b, 0) : null,
  };
}

// ---------------------------------------------------------------- inbound traffic

const inbound = { sent: 0, skipped: 0, fiveXX: 0, forgedAccepted: 0, classes: {}, kinds: {} };
Object.assign(inbound, { errors: [], ms: [] });

async function sendInbound(builder, group, kind) {
  const started = performance.now();
  let [status, text] = [undefined, ""];
  try {
    const req = await builder.build(kind);
    const init = { method: "POST", headers: req.headers, body: req.body };
    const res = await fetch(req.url, { ...init, signal: AbortSignal.timeout(30_000) });
    status = res.status;
    text = await res.text();
  } catch (error) {
    status = error.name === "TimeoutError" ? "timeout" : "error";
    text = String(error.cause?.message ?? error.message);
  }
  inbound.sent++;
  inbound.ms.push(performance.now() - started);
  const cls = typeof status === "number" ? `${Math.floor(status / 100)}xx` : "no answer";
  inbound.classes[cls] = (inbound.classes[cls] ?? 0) + 1;
  const byStatus = inbound.kinds[`${group}/${kind}`] ?? {};
  inbound.kinds[`${group}/${kind}`] = { ...byStatus, [status]: (byStatus[status] ?? 0) + 1 };
  if (group === "forged" && cls === "2xx") inbound.forgedAccepted++;
  if (cls === "5xx" && inbound.fiveXX++ < 10) {
    inbound.errors.push({ at: mmss(elapsed()), kind, status, body: text.slice(0, 300) });
  }
}

async function driveInbound(builder) {
  const inFlight = new Set();
  for (let next = Date.now(); Date.now() < clock.end; next += 1000 / RATE) {
    if (inFlight.size < MAX_IN_FLIGHT) {
      const { group, kind } = pickKind();
      const p = sendInbound(builder, group, kind).finally(() => inFlight.delete(p));
      inFlight.add(p);
    } else inbound.skipped++;
    await sleep(Math.max(0, next + 1000 / RATE - Date.now()));
  }
  await Promise.all(inFlight);
}

// ---------------------------------------------------------------- outbound traffic

/** { id, activity, expected: [inbox], hosts: Map(host -> record), seenParked: Set(host) } */
const posts = [];
const postErrors = [];

async function publish(n, audience) {
  try {
    const res = await fetch(`${ORIGIN}/api/v1/statuses`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ status: `Soak post ${n}, at ${mmss(elapsed())}.` }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) return postErrors.push({ status: res.status, body: text.slice(0, 300) });
    const { id, uri } = JSON.parse(text);
    posts.push({ id, uri, activity: `${uri}/activity`, expected: audience, seenParked: new Set() });
  } catch (error) {
    postErrors.push({ status: error.name, body: String(error.message).slice(0, 300) });
  }
}

/** Post 0 is published before the traffic starts; then one every POST_EVERY until the end. */
async function drivePosts(audience) {
  for (let n = 1, next = clock.start + POST_EVERY; next < clock.end; n++, next += POST_EVERY) {
    await sleep(Math.max(0, next - Date.now()));
    await publish(n, audience);
  }
}

/** Refreshes the instance's delivery records of the posts not settled yet. */
async function pollDeliveries(endless, { all = false } = {}) {
  for (const post of posts) {
    if (post.settled && !all) continue;
    const text = await ownerGet(`/api/v1/statuses/${post.id}/deliveries`);
    if (text === undefined) continue;
    const { activities } = JSON.parse(text);
    const create = activities.find((a) => a.id === post.activity) ?? activities[0];
    post.hosts = new Map((create?.hosts ?? []).map((h) => [h.host, h]));
    for (const [host, h] of post.hosts) if (h.state === "parked") post.seenParked.add(host);
    const hosts = new Set(post.expected.map((i) => new URL(i).host));
    post.settled =
      post.hosts.size >= hosts.size &&
      [...post.hosts].every(
        ([host, h]) => ["delivered", "failed"].includes(h.state) || endless.has(host),
      );
  }
}

// ---------------------------------------------------------------- main

const samples = [];
const cron = [];
const minutes = [];

async function minuteLine(pid, remotes) {
  const m = fromMetrics(await readMetrics());
  const proc = workerd(pid);
  const ok = receipts(remotes);
  const pairs = posts.flatMap((p) => p.expected.map((i) => `${p.activity} ${i}`));
  const row = {
    at: mmss(elapsed()),
    inbound: { sent: inbound.sent, ...inbound.classes, skipped: inbound.skipped },
    posts: posts.length,
    pairsDelivered: pairs.filter((k) => ok.has(k)).length,
    pairsExpected: pairs.length,
    hosts: m?.hosts ?? null,
    queue: m?.queue ?? null,
    ...proc,
  };
  minutes.push(row);
  const classes = JSON.stringify(inbound.classes);
  const hosts =
    m === null ? "metrics unreadable" : `hosts ${JSON.stringify(m.hosts)}, queue ${m.queue}`;
  console.log(
    `[${row.at}] inbound ${inbound.sent} ${classes} · posts ${posts.length}, pairs delivered ${row.pairsDelivered}/${row.pairsExpected} · ${hosts} · workerd ${proc.rssMB} MB, CPU ${proc.cpuS} s`,
  );
}

/** Every inbound actor follows the owner; those whose Accept arrives are part of the audience. */
async function warmUp(builder, inboundHosts) {
  for (const actor of builder.actors) {
    const req = await builder.follow(actor);
    const res = await fetch(req.url, { method: "POST", headers: req.headers, body: req.body });
    if (res.status !== 202) console.warn(`warm-up Follow of ${actor.id}: ${res.status}`);
  }
  const accepted = () =>
    builder.actors.filter((a) =>
      inboundHosts.some((r) => r.posts.some((p) => p.inbox === a.inbox && p.type === "Accept")),
    );
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(500)) {
    if (accepted().length === builder.actors.length) break;
  }
  return accepted();
}

async function main() {
  const remotes = await startRemotes(FAULT_HOSTS, faulty);
  const { farm, actors, ghost, endless } = remotes;
  const followers = followersOf({ hosts: farm }, FAULT_HOSTS * 2, 0.8);
  const state = fs.mkdtempSync(join(tmpdir(), "outpost-soak-"));
  const source = LIVE ? undefined : snapshot();
  if (source !== undefined) process.chdir(source);
  let dev;
  try {
    seed(state, followers);
    const [vars, log] = [{ DEV_RETRY_BASE_MS: RETRY_BASE_MS }, Boolean(process.env.BENCH_LOG)];
    dev = await startInstance({ port: PORT, state, env, vars, log });
    stopOnExit(dev);
    const notes = () => posts.map((p) => p.uri);
    const builder = new Inbound({ origin: ORIGIN, owner: OWNER, actors, ghost, notes });
    const following = await warmUp(builder, remotes.inbound);
    const audience = [...uniqueInboxesOf(followers), ...following.map((a) => a.inbox)];
    console.log(
      `soak: ${MINUTES} min on ${ORIGIN}; inbound ${RATE}/s; a post every ${POST_EVERY / 1000} s to ${audience.length} inboxes (${following.length}/${actors.length} inbound actors following; farm hosts by fault ${JSON.stringify(remotes.faults)})`,
    );

    Object.assign(clock, { start: Date.now(), end: Date.now() + MINUTES * 60_000, running: true });
    samples.push({ t: 0, ...workerd(dev.pid) });
    let active = true;
    const tickers = [
      setInterval(() => samples.push({ t: Math.round(elapsed()), ...workerd(dev.pid) }), 10_000),
      setInterval(() => minuteLine(dev.pid, remotes.all), 60_000),
      // The deployed cron (every 15 min): wrangler dev does not fire it by itself.
      setInterval(() => cron.push(ownerGet("/cdn-cgi/local/scheduled")), 15 * 60_000),
    ];
    const poller = (async () => {
      while (active) {
        await pollDeliveries(endless).catch((e) => console.warn(`deliveries: ${e.message}`));
        await sleep(15_000);
      }
    })();
    await publish(0, audience); // a note to like, boost and reply to from the start
    await Promise.all([driveInbound(builder), drivePosts(audience)]);

    // Settling: the 500 and refusing hosts recover; wait for every deliverable pair.
    clock.running = false;
    const trafficEnded = Date.now();
    const deliverable = posts.flatMap((p) =>
      p.expected.filter((i) => !endless.has(new URL(i).host)).map((i) => `${p.activity} ${i}`),
    );
    let waiting = deliverable.length;
    for (const deadline = Date.now() + SETTLE; Date.now() < deadline; await sleep(2000)) {
      const ok = receipts(remotes.all);
      waiting = deliverable.filter((k) => !ok.has(k)).length;
      if (waiting === 0) break;
    }
    const settleS = Math.round((Date.now() - trafficEnded) / 1000);
    await sleep(3000); // the last invocations flush their metrics after answering
    active = false;
    for (const t of tickers) clearInterval(t);
    await poller;
    await pollDeliveries(endless, { all: true });
    samples.push({ t: Math.round(elapsed()), ...workerd(dev.pid) });
    await minuteLine(dev.pid, remotes.all);
    const metrics = fromMetrics(await readMetrics());
    await report({ outbound: account(posts, remotes.all), metrics, settleS, waiting });
  } finally {
    if (dev !== undefined) await stopInstance(dev);
    await remotes.close();
    for (const dir of [state, source]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function report({ outbound, metrics, settleS, waiting }) {
  const sorted = [...inbound.ms].sort((a, b) => a - b);
  const pct = (p) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
  const [first, last] = [samples[0], samples.at(-1)];
  const peak = samples.reduce((m, s) => (s.rssMB > m.rssMB ? s : m), first);
  const unmeasured = "unmeasured";
  const table = {
    "inbound requests sent": inbound.sent,
    "inbound answers by class": JSON.stringify(inbound.classes),
    "inbound 5xx": inbound.fiveXX,
    "forged answered 2xx": inbound.forgedAccepted,
    "inbound ticks skipped (16 in flight)": inbound.skipped,
    "inbound p50 / p99 ms": `${pct(50)} / ${pct(99)}`,
    "posts published (failed)": `${posts.length} (${postErrors.length})`,
    "expected (post, inbox) pairs": outbound.expected,
    delivered: outbound.delivered,
    "duplicates (extra 2xx receipts / pairs)": `${outbound.duplicates} / ${outbound.duplicatedPairs}`,
    lost: outbound.lost,
    "failed-as-recorded (pairs)": outbound.failed,
    "parked at end (pairs, instance record)": outbound.parked,
    "pending/retrying at end (pairs)": outbound.unsettled,
    "deliverable pairs not received after settle": `${waiting} (settle ${settleS} s)`,
    "seen parked / drained (pairs, polled)": `${outbound.seenParked} / ${outbound.drained}`,
    "parked (/metrics deliveries{result=parked})": metrics?.deliveries.parked ?? unmeasured,
    "drained (/metrics)": metrics?.drained ?? `${unmeasured} (no such series)`,
    "hosts by state at end (/metrics)": metrics ? JSON.stringify(metrics.hosts) : unmeasured,
    "workerd RSS MB start / peak / end": `${first.rssMB} / ${peak.rssMB} / ${last.rssMB}`,
    "workerd CPU s (soak + settle / total)": `${(last.cpuS - first.cpuS).toFixed(1)} / ${last.cpuS}`,
    "workerd restarts (reloads) during soak": last.started - first.started,
    "cron runs fired (answered)": `${cron.length} (${(await Promise.all(cron)).filter((t) => t !== undefined).length})`,
  };
  const source = LIVE ? "the working tree" : "a copy of src/ taken at the start";
  console.log(`\nfault soak: ${MINUTES} min, local wrangler dev running ${source}`);
  console.table(table);
  console.log("inbound answers by kind:");
  const kinds = Object.entries(inbound.kinds).sort(([a], [b]) => a.localeCompare(b));
  console.table(Object.fromEntries(kinds.map(([k, s]) => [k, JSON.stringify(s)])));
  if (inbound.errors.length > 0) console.log("first 5xx answers:", inbound.errors);
  if (postErrors.length > 0) console.log("failed publications:", postErrors.slice(0, 5));
  if (outbound.lostExamples.length > 0) console.log("lost (first few):", outbound.lostExamples);
  if (JSON_FILE) {
    const options = { MINUTES, PORT, RATE, POST_EVERY, SETTLE, FAULT_HOSTS, RETRY_BASE_MS };
    const { ms, ...counts } = inbound;
    const memory = { startMB: first.rssMB, peakMB: peak.rssMB, endMB: last.rssMB };
    const result = { options, table, inbound: counts, outbound, postErrors, metrics };
    Object.assign(result, { memory, samples, minutes });
    fs.writeFileSync(JSON_FILE, `${JSON.stringify(result, null, 2)}\n`);
  }
}

process.once("SIGINT", () => process.exit(130));
await main();
process.exit(0);
