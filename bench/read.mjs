#!/usr/bin/env node
/**
 * `npm run bench:read [-- --posts 100000 --notifications 50000 --requests 200 --port 8797
 *   --json FILE --keep --live --profile --only home,outbox]`
 *
 * The read path of the owner's API over a big database: a fresh local Outpost (wrangler dev,
 * run from a copy of src/ taken at the start, as bench/soak.mjs does, so that edits in the
 * tree do not reload it; `--live` runs the tree) whose D1 is seeded with set-based SQL
 * (`wrangler d1 execute --file`, `bench/read-seed.mjs`) before it starts: 5,000 remote actors
 * (`u1` to `u5000`) on 200 hosts, the owner following 1,000 of them and followed by 1,000 (half
 * of them the same), `--posts` notes (a tenth the owner's, with their `Create`s in the outbox
 * beside the owner's likes, boosts and follows; the others by followed accounts: public,
 * unlisted, followers-only and direct to the owner, a tenth replying to the owner's notes and
 * mentioning them) with their recipients and tags, each note's plain text in the search index
 * as storage writes it (and the index's "backfill done" row), and `--notifications`
 * notifications (2% follows, 20% mentions, the rest favourites and boosts of the owner's
 * notes, each with its reaction, grouped as the instance groups them).
 *
 * Then, for each endpoint (owner token; each checked once to return a full page, or the one
 * post `searchRare` finds): a few warm-up requests, then `--requests` sequential ones. The
 * endpoints: the home timeline, notifications (v1 and grouped v2), the outbox's first page,
 * and `/api/v2/search` for statuses holding a word every post holds (`searchCommon`), or one
 * post alone (`searchRare`: its number), and for accounts by the start of a username
 * (`searchAccounts`). `p50`/`p99` are client-measured latencies in ms (request to last byte,
 * loopback, one workerd); `rows/req` and `queries/req` are D1 rows read and queries run per
 * request, from the instance's own `/metrics` counters (`outpost_d1_rows_read_total`, what D1
 * bills) read before and 2.5 s after the batch (they are flushed after each response), less
 * what the `/metrics` read itself costs (measured first, over an empty interval).
 *
 * With `--profile`, each endpoint's requests are also sampled by a V8 CPU profile of the
 * Worker's isolate (wrangler dev's inspector, as `bench:fanout` does): the Worker's own CPU a
 * request (`workerCpuMsPerRequest`) and the frames with the most of it, apart from what the
 * local simulator (D1, the network) costs the process. `--only` measures the endpoints named.
 *
 * `--json FILE` writes `{ posts, notifications, requests, endpoints: { home, notificationsV1,
 * notificationsV2, outbox, searchCommon, searchRare, searchAccounts } }`, each `{ p50Ms,
 * p99Ms, rowsReadPerRequest }`. `--keep` keeps the seeded state folder (to run `EXPLAIN QUERY
 * PLAN` on it with `wrangler d1 execute DB --local --persist-to <folder>`).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  cliArg,
  migrate,
  scrapeMetrics,
  startInstance,
  stopInstance,
  stopOnExit,
  wranglerEnv,
} from "./instance.mjs";
import { cpuOf, startProfile } from "./profile.mjs";
import { seedSql } from "./read-seed.mjs";

const argv = process.argv.slice(2);
const POSTS = Number(cliArg("posts", 100_000));
const NOTIFICATIONS = Number(cliArg("notifications", 50_000));
const REQUESTS = Number(cliArg("requests", 200));
const PORT = Number(cliArg("port", 8797));
const JSON_FILE = cliArg("json") && resolve(cliArg("json"));
const KEEP = argv.includes("--keep");
const LIVE = argv.includes("--live");
const PROFILE = argv.includes("--profile");
const ONLY = cliArg("only")?.split(",");
const INSPECTOR_PORT = PORT + 1000;
const WARMUP = 5;
/** What `searchRare` looks for: a post's number (in its text), a word no other post holds. */
const RARE = Math.ceil(POSTS / 2);
const FLUSH_MS = 2500;

const ORIGIN = `http://localhost:${PORT}`;
const TOKEN = crypto.randomUUID();
const env = wranglerEnv(TOKEN);

/** The endpoints measured, and how many items each answers (a full page, but `searchRare`). */
const ENDPOINTS = {
  home: { path: "/api/v1/timelines/home?limit=40", limit: 40, items: (b) => b },
  notificationsV1: { path: "/api/v1/notifications?limit=40", limit: 40, items: (b) => b },
  notificationsV2: {
    path: "/api/v2/notifications?limit=40",
    limit: 40,
    items: (b) => b.notification_groups,
  },
  outbox: {
    path: "/users/owner/outbox?page=true",
    limit: 20,
    items: (b) => b.orderedItems,
    accept: "application/activity+json",
  },
  // A word of every post; a post's number, which it alone holds (a page of one).
  searchCommon: {
    path: "/api/v2/search?q=benchmark&type=statuses&limit=20",
    limit: 20,
    items: (b) => b.statuses,
  },
  searchRare: {
    path: `/api/v2/search?q=${RARE}&type=statuses&limit=20`,
    limit: 1,
    items: (b) => b.statuses,
  },
  // Usernames starting so: u12, u120 to u129, u1200 to u1299.
  searchAccounts: {
    path: "/api/v2/search?q=u12&type=accounts&limit=20",
    limit: 20,
    items: (b) => b.accounts,
  },
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- seeding

function wrangler(args) {
  const r = spawnSync("wrangler", args, { env, stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`wrangler ${args.join(" ")}: ${r.stderr}${r.stdout}`);
  return r.stdout.toString();
}

/** Migrates and seeds `state`; the counts of what it holds. */
function seed(state) {
  const { sql, plan: p } = seedSql({ posts: POSTS, notifications: NOTIFICATIONS, origin: ORIGIN });
  const file = join(state, "seed.sql");
  fs.writeFileSync(file, sql);
  migrate(state, env);
  wrangler(["d1", "execute", "DB", "--local", "--persist-to", state, "--file", file]);
  const tables = ["actors", "follows", "notes", "note_recipients", "note_tags", "reactions"];
  const counts = [...tables, "notifications", "outbox"].map(
    (t) => `(SELECT count(*) FROM ${t}) AS ${t}`,
  );
  const out = wrangler([
    "d1",
    "execute",
    "DB",
    "--local",
    "--persist-to",
    state,
    "--json",
    "--command",
    `SELECT ${counts.join(", ")}`,
  ]);
  return { plan: p, counts: JSON.parse(out)[0].results[0] };
}

/**
 * A copy of the instance's sources, taken now: wrangler dev reloads the Worker whenever a
 * source changes, and others may edit this tree meanwhile.
 */
function snapshot() {
  const dir = fs.mkdtempSync(join(tmpdir(), "outpost-read-src-"));
  for (const f of ["src", "migrations", "wrangler.toml", "package.json", "tsconfig.json"]) {
    fs.cpSync(f, join(dir, f), { recursive: true });
  }
  fs.symlinkSync(resolve("node_modules"), join(dir, "node_modules"));
  return dir;
}

// ---------------------------------------------------------------- measuring

const auth = { Authorization: `Bearer ${TOKEN}` };

/** D1 rows read and queries run so far (the instance's counters). */
async function metrics() {
  const { total } = await scrapeMetrics(ORIGIN, TOKEN);
  return { rows: total("outpost_d1_rows_read_total"), queries: total("outpost_d1_queries_total") };
}

/** One request; its latency in ms, and its body. */
async function request({ path, accept }) {
  const headers = { ...auth, Accept: accept ?? "application/json" };
  const start = performance.now();
  const res = await fetch(`${ORIGIN}${path}`, { headers });
  const body = await res.text();
  const ms = performance.now() - start;
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${body.slice(0, 300)}`);
  return { ms, body };
}

/** What one `/metrics` read costs: the counters' rise over an interval with nothing else. */
async function metricsCost() {
  await sleep(FLUSH_MS);
  const first = await metrics();
  await sleep(FLUSH_MS);
  const second = await metrics();
  await sleep(FLUSH_MS);
  const third = await metrics();
  const cost = { rows: third.rows - second.rows, queries: third.queries - second.queries };
  if (second.rows - first.rows !== cost.rows) console.warn("the cost of /metrics varies");
  return cost;
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (n) => Number(n.toFixed(1));

async function measure(endpoint, cost) {
  const { items, limit } = endpoint;
  const count = items(JSON.parse((await request(endpoint)).body))?.length;
  if (count !== limit) throw new Error(`${endpoint.path}: ${count} items, not ${limit}`);
  for (let i = 1; i < WARMUP; i++) await request(endpoint);
  await sleep(FLUSH_MS);
  const before = await metrics();
  const profile = PROFILE ? await startProfile(INSPECTOR_PORT) : undefined;
  const latencies = [];
  for (let i = 0; i < REQUESTS; i++) latencies.push((await request(endpoint)).ms);
  const sampled = await profile?.stop();
  // The raw profile, for a closer look (e.g. in Chrome's DevTools), when asked for.
  if (sampled !== undefined && process.env.OUTPOST_PROFILE_DIR) {
    const file = join(process.env.OUTPOST_PROFILE_DIR, `${endpoint.name}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(sampled));
  }
  const cpu = sampled === undefined ? undefined : cpuOf(sampled);
  await sleep(FLUSH_MS);
  const after = await metrics();
  latencies.sort((a, b) => a - b);
  return {
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    rowsReadPerRequest: round((after.rows - before.rows - cost.rows) / REQUESTS),
    queriesPerRequest: round((after.queries - before.queries - cost.queries) / REQUESTS),
    ...(cpu === undefined
      ? {}
      : { workerCpuMsPerRequest: round(cpu.busyMs / REQUESTS), topFrames: cpu.top }),
  };
}

// ---------------------------------------------------------------- main

async function main() {
  const started = performance.now();
  const source = LIVE ? undefined : snapshot();
  if (source !== undefined) process.chdir(source);
  const state = fs.mkdtempSync(join(tmpdir(), "outpost-read-"));
  let dev;
  try {
    const seedStart = performance.now();
    const { plan: p, counts } = seed(state);
    const seedMs = Math.round(performance.now() - seedStart);
    console.log(`seeded in ${(seedMs / 1000).toFixed(1)} s: ${JSON.stringify(counts)}`);
    console.log(`notifications: ${JSON.stringify(p)}`);
    dev = await startInstance({
      port: PORT,
      state,
      env,
      log: Boolean(process.env.BENCH_LOG),
      inspectorPort: PROFILE ? INSPECTOR_PORT : undefined,
    });
    stopOnExit(dev);
    await request(ENDPOINTS.home); // creates the owner's keys
    const cost = await metricsCost();
    console.log(`one /metrics read: ${cost.rows} D1 rows, ${cost.queries} queries (subtracted)`);
    const endpoints = {};
    for (const [name, endpoint] of Object.entries(ENDPOINTS)) {
      if (ONLY === undefined || ONLY.includes(name))
        endpoints[name] = await measure({ ...endpoint, name }, cost);
    }
    const totalMs = Math.round(performance.now() - started);
    console.log(
      `\nread benchmark: ${counts.notes} notes, ${counts.notifications} notifications, ${REQUESTS} sequential requests per endpoint (local workerd; seeding ${(seedMs / 1000).toFixed(1)} s, whole run ${(totalMs / 1000).toFixed(1)} s)`,
    );
    console.table(
      Object.fromEntries(
        Object.entries(endpoints).map(([name, r]) => [
          name,
          {
            "p50 ms": r.p50Ms,
            "p99 ms": r.p99Ms,
            "rows/req": r.rowsReadPerRequest,
            "queries/req": r.queriesPerRequest,
            ...(r.workerCpuMsPerRequest === undefined
              ? {}
              : { "cpu ms/req": r.workerCpuMsPerRequest }),
          },
        ]),
      ),
    );
    for (const [name, r] of Object.entries(endpoints)) {
      if (r.topFrames !== undefined) console.log(name, JSON.stringify(r.topFrames));
    }
    if (JSON_FILE) {
      const out = Object.fromEntries(
        Object.entries(endpoints).map(([name, r]) => [
          name,
          {
            p50Ms: r.p50Ms,
            p99Ms: r.p99Ms,
            rowsReadPerRequest: r.rowsReadPerRequest,
            workerCpuMsPerRequest: r.workerCpuMsPerRequest,
          },
        ]),
      );
      const result = { posts: POSTS, notifications: NOTIFICATIONS, requests: REQUESTS };
      fs.writeFileSync(JSON_FILE, `${JSON.stringify({ ...result, endpoints: out }, null, 2)}\n`);
    }
  } finally {
    if (dev !== undefined) await stopInstance(dev);
    if (KEEP) console.log(`state kept in ${state}`);
    else fs.rmSync(state, { recursive: true, force: true });
    if (source !== undefined) fs.rmSync(source, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
