#!/usr/bin/env node
/**
 * `npm run bench:read [-- --posts 100000 --notifications 50000 --requests 200 --port 8797
 *   --json FILE --keep --live]`
 *
 * The read path of the owner's API over a big database: a fresh local Outpost (wrangler dev,
 * run from a copy of src/ taken at the start, as bench/soak.mjs does, so that edits in the
 * tree do not reload it; `--live` runs the tree) whose D1 is seeded with set-based SQL
 * (`wrangler d1 execute --file`) before it starts: 5,000 remote actors on 200 hosts, the owner
 * following 1,000 of them and followed by 1,000 (half of them the same), `--posts` notes (a
 * tenth the owner's, with their `Create`s in the outbox beside the owner's likes, boosts and
 * follows; the others by followed accounts: public, unlisted, followers-only and direct to the
 * owner, a tenth replying to the owner's notes and mentioning them) with their recipients and
 * tags, and `--notifications` notifications (2% follows, 20% mentions, the rest favourites and
 * boosts of the owner's notes, each with its reaction, grouped as the instance groups them).
 *
 * Then, for each endpoint (owner token; each checked once to return a full page): a few
 * warm-up requests, then `--requests` sequential ones. `p50`/`p99` are client-measured
 * latencies in ms (request to last byte, loopback, one workerd); `rows/req` and `queries/req`
 * are D1 rows read and queries run per request, from the instance's own `/metrics` counters
 * (`outpost_d1_rows_read_total`, what D1 bills) read before and 2.5 s after the batch (they are
 * flushed after each response), less what the `/metrics` read itself costs (measured first,
 * over an empty interval). `--json FILE` writes `{ posts, notifications, requests, endpoints:
 * { home, notificationsV1, notificationsV2, outbox } }`, each `{ p50Ms, p99Ms,
 * rowsReadPerRequest }`. `--keep` keeps the seeded state folder (to run `EXPLAIN QUERY PLAN`
 * on it with `wrangler d1 execute DB --local --persist-to <folder>`).
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

const argv = process.argv.slice(2);
const POSTS = Number(cliArg("posts", 100_000));
const NOTIFICATIONS = Number(cliArg("notifications", 50_000));
const REQUESTS = Number(cliArg("requests", 200));
const PORT = Number(cliArg("port", 8797));
const JSON_FILE = cliArg("json") && resolve(cliArg("json"));
const KEEP = argv.includes("--keep");
const LIVE = argv.includes("--live");
const WARMUP = 5;
const FLUSH_MS = 2500;

const ORIGIN = `http://localhost:${PORT}`;
const OWNER = `${ORIGIN}/users/owner`;
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
const TOKEN = crypto.randomUUID();
const env = wranglerEnv(TOKEN);

const [ACTORS, HOSTS, FOLLOWED, FOLLOWERS] = [5000, 200, 1000, 1000];
/** Between two posts (100,000 posts: a year); the newest is 12 hours old. */
const STEP_MS = 300_000;
const HOUR_MS = 3_600_000;

/** The endpoints measured, and how many items a full page of each holds. */
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
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- seeding

/** A remote actor's id, as SQL, from its number (1 to ACTORS). */
const actorSql = (x) => `printf('https://h%d.example/users/u%d', (${x}) % ${HOSTS}, ${x})`;
const isoSql = (t) => `strftime('%Y-%m-%dT%H:%M:%fZ', (${t}) / 1000.0, 'unixepoch')`;
const recursive = (name, n, from = 1) =>
  `(WITH RECURSIVE c(${name}) AS (SELECT ${from} UNION ALL SELECT ${name} + 1 FROM c WHERE ${name} < ${from + n - 1}) SELECT ${name} FROM c)`;
const TEXT =
  "'Post ' || s || ' of the read benchmark, with a few more words so that it is about as long as a status usually is.</p>'";
const MENTION = `'<p><span class="h-card"><a href="${OWNER}" class="u-url mention">@<span>owner</span></a></span> '`;

/** How the notifications split, by type; mentions and boosts as many as notes allow. */
function plan() {
  let mentionable = 0;
  let ownerPublic = 0;
  for (let s = 1; s <= POSTS; s++) {
    if (s % 10 !== 0 && (s % 10 === 5 || s % 100 === 9)) mentionable++;
    if (s % 10 === 0 && (s % 30 === 0 || s % 70 !== 0)) ownerPublic++;
  }
  const follows = Math.min(FOLLOWERS, Math.round(NOTIFICATIONS * 0.02));
  const mentions = Math.min(mentionable, Math.round(NOTIFICATIONS * 0.2));
  const rest = ownerPublic === 0 ? 0 : NOTIFICATIONS - follows - mentions;
  const favourites = Math.round(rest * 0.6);
  return { follows, mentions, favourites, reblogs: rest - favourites, ownerPublic };
}

/**
 * Favourites or boosts of the owner's public and unlisted notes (`bench_o`, numbered by `k`),
 * round after round (`j`), `minutes` apart, each from another account, grouped per note in
 * spans of 12 hours as the instance does (`group_key`); `rid` names its reaction.
 */
function reactionNotifications({ type, count, minutes, first, mix }, ownerPublic) {
  const gap = minutes * 60_000;
  const span = Math.ceil(720 / minutes);
  return `SELECT '${type}' AS type, ${actorSql(`(kk * ${mix[0]} + j * ${mix[1]}) % ${ACTORS} + 1`)} AS account,
    o.id AS target, '${type}-' || o.s || '-' || ((o.pub + ((j / ${span}) * ${span} + 1) * ${gap}) / ${HOUR_MS}) AS group_key,
    min(${Date.now()}, o.pub + (j + 1) * ${gap}) AS created_at, ${first} + i AS rid
  FROM (SELECT i, i % ${ownerPublic} AS kk, i / ${ownerPublic} AS j FROM ${recursive("i", count, 0)} WHERE i < ${count})
  JOIN bench_o o ON o.k = kk`;
}

function seedSql() {
  const now = Date.now();
  const last = now - 12 * HOUR_MS;
  const p = plan();
  const local = `(((${last} - (${POSTS} - s) * ${STEP_MS}) << 16) | (s & 65535))`;
  const follower = (x) => `${x} + ${FOLLOWED / 2}`;
  return {
    plan: p,
    sql: `
INSERT INTO actors (seq, id, type, preferred_username, domain, name, summary, url, inbox, shared_inbox, outbox, followers, following, featured, public_key_id, public_key_pem, icon_url, published, fetched_at, created_at)
SELECT x, id, 'Person', 'u' || x, 'h' || (x % ${HOSTS}) || '.example', 'User ' || x, '<p>A remote account of the read benchmark.</p>', replace(id, '/users/', '/@'), id || '/inbox', 'https://h' || (x % ${HOSTS}) || '.example/inbox', id || '/outbox', id || '/followers', id || '/following', id || '/collections/featured', id || '#main-key', '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n', 'https://h' || (x % ${HOSTS}) || '.example/avatars/' || x || '.png', ${now - 400 * 24 * HOUR_MS}, ${now}, ${now - 400 * 24 * HOUR_MS} + x * 60000
FROM (SELECT x, ${actorSql("x")} AS id FROM ${recursive("x", ACTORS)});

INSERT INTO follows (actor, follower, state, activity_id, created_at, accepted_at)
SELECT ${actorSql("x")}, '${OWNER}', 'accepted', '${ORIGIN}/activities/' || (((${last} - x * 20000000) << 16) | x), ${last} - x * 20000000, ${last} - x * 20000000 + 1000 FROM ${recursive("x", FOLLOWED)}
UNION ALL SELECT '${OWNER}', ${actorSql(follower("x"))}, 'accepted', ${actorSql(follower("x"))} || '#follows/' || x, ${last} - x * 20000000, ${last} - x * 20000000 FROM ${recursive("x", FOLLOWERS)};

CREATE TABLE bench_n AS SELECT s, mine, pub, author,
  CASE WHEN mine THEN '${OWNER}/statuses/' || local ELSE author || '/statuses/' || s END AS id,
  CASE WHEN mine THEN '${ORIGIN}/@owner/' || local ELSE replace(author, '/users/', '/@') || '/' || s END AS url,
  CASE WHEN mine THEN CASE WHEN s % 30 = 0 THEN 'unlisted' WHEN s % 70 = 0 THEN 'private' ELSE 'public' END
    WHEN s % 100 = 9 THEN 'direct' WHEN s % 20 = 3 THEN 'unlisted' WHEN s % 20 = 7 THEN 'private' ELSE 'public' END AS vis,
  NOT mine AND (s % 10 = 5 OR s % 100 = 9) AS mentions,
  CASE WHEN NOT mine AND s % 10 = 5 AND s > 10 THEN '${OWNER}/statuses/' || (((pub - 5 * ${STEP_MS}) << 16) | ((s - 5) & 65535)) END AS reply_to
FROM (SELECT s, s % 10 = 0 AS mine, ${last} - (${POSTS} - s) * ${STEP_MS} AS pub, ${local} AS local,
  CASE WHEN s % 10 = 0 THEN '${OWNER}' ELSE ${actorSql(`(s * 7919) % ${FOLLOWED} + 1`)} END AS author
  FROM ${recursive("s", POSTS)});

INSERT INTO notes (seq, id, type, attributed_to, in_reply_to, content, sensitive, language, visibility, url, attachments, published)
SELECT s, id, 'Note', author, reply_to, CASE WHEN mentions THEN ${MENTION} ELSE '<p>' END || ${TEXT}, 0, 'en', vis, url, '[]', pub FROM bench_n ORDER BY s;

INSERT INTO note_recipients (note_seq, recipient, field)
SELECT s, '${PUBLIC}', CASE vis WHEN 'public' THEN 'to' ELSE 'cc' END FROM bench_n WHERE vis IN ('public', 'unlisted')
UNION ALL SELECT s, author || '/followers', CASE vis WHEN 'public' THEN 'cc' ELSE 'to' END FROM bench_n WHERE vis <> 'direct'
UNION ALL SELECT s, '${OWNER}', CASE WHEN vis IN ('private', 'direct') THEN 'to' ELSE 'cc' END FROM bench_n WHERE mentions;

INSERT INTO note_tags (note_seq, type, name, href)
SELECT s, 'Mention', 'owner@localhost:${PORT}', '${OWNER}' FROM bench_n WHERE mentions
UNION ALL SELECT s, 'Hashtag', 'bench', substr(author, 1, instr(substr(author, 9), '/') + 8) || 'tags/bench' FROM bench_n WHERE s % 7 = 0 AND NOT mine;

CREATE TABLE bench_o AS SELECT row_number() OVER (ORDER BY s) - 1 AS k, s, id, pub FROM bench_n WHERE mine AND vis <> 'private';
CREATE INDEX bench_o_k ON bench_o (k);

CREATE TABLE bench_x AS
SELECT 'follow' AS type, follower AS account, '' AS target, 'follow-' || (created_at / ${HOUR_MS}) AS group_key, created_at, NULL AS rid
  FROM (SELECT * FROM follows WHERE actor = '${OWNER}' ORDER BY created_at DESC LIMIT ${p.follows})
UNION ALL SELECT 'mention', author, id, NULL, pub, NULL FROM (SELECT * FROM bench_n WHERE mentions ORDER BY s DESC LIMIT ${p.mentions})
UNION ALL ${reactionNotifications({ type: "favourite", count: p.favourites, minutes: 17, first: 0, mix: [31, 977] }, p.ownerPublic)}
UNION ALL ${reactionNotifications({ type: "reblog", count: p.reblogs, minutes: 23, first: p.favourites, mix: [53, 1009] }, p.ownerPublic)};

INSERT INTO notifications (type, account, target, group_key, created_at)
SELECT type, account, target, group_key, created_at FROM bench_x ORDER BY created_at, rowid;

INSERT INTO reactions (id, type, actor, object, created_at)
SELECT '${ORIGIN}/activities/' || (((pub + 60000) << 16) | (s & 65535)), 'Like', '${OWNER}', id, pub + 60000 FROM bench_n WHERE s % 30 = 1
UNION ALL SELECT '${ORIGIN}/activities/' || (((pub + 120000) << 16) | (s & 65535)), 'Announce', '${OWNER}', id, pub + 120000 FROM bench_n WHERE s % 100 = 11
UNION ALL SELECT CASE type WHEN 'favourite' THEN account || '#likes/' || rid ELSE account || '/statuses/' || rid || '/activity' END,
  CASE type WHEN 'favourite' THEN 'Like' ELSE 'Announce' END, account, target, created_at FROM bench_x WHERE rid IS NOT NULL
ORDER BY 5;

UPDATE notes SET likes_count = (SELECT count(*) FROM reactions r WHERE r.object = notes.id AND r.type = 'Like'),
  shares_count = (SELECT count(*) FROM reactions r WHERE r.object = notes.id AND r.type = 'Announce')
WHERE id IN (SELECT object FROM reactions);

INSERT INTO outbox (id, actor, type, object_id, visibility, payload, published, fanned_out_at)
SELECT id, '${OWNER}', type, object_id, vis, payload, t, t FROM (
  SELECT id || '/activity' AS id, 'Create' AS type, id AS object_id, vis, pub AS t, json_object('id', id || '/activity', 'type', 'Create', 'actor', '${OWNER}', 'published', ${isoSql("pub")}, 'to', json(too), 'cc', json(cc),
    'object', json_object('id', id, 'type', 'Note', 'attributedTo', '${OWNER}', 'inReplyTo', NULL, 'summary', NULL, 'sensitive', json('false'), 'content', '<p>' || ${TEXT},
      'published', ${isoSql("pub")}, 'url', url, 'to', json(too), 'cc', json(cc), 'attachment', json_array(), 'tag', json_array())) AS payload
  FROM (SELECT *, CASE vis WHEN 'public' THEN json_array('${PUBLIC}') ELSE json_array('${OWNER}/followers') END AS too,
    CASE vis WHEN 'public' THEN json_array('${OWNER}/followers') WHEN 'unlisted' THEN json_array('${PUBLIC}') ELSE json_array() END AS cc FROM bench_n WHERE mine)
  UNION ALL SELECT r.id, r.type, r.object, CASE r.type WHEN 'Like' THEN 'direct' ELSE 'public' END, r.created_at, CASE r.type
    WHEN 'Like' THEN json_object('id', r.id, 'type', 'Like', 'actor', '${OWNER}', 'object', r.object, 'to', json_array(n.attributed_to))
    ELSE json_object('id', r.id, 'type', 'Announce', 'actor', '${OWNER}', 'object', r.object, 'published', ${isoSql("r.created_at")}, 'to', json_array('${PUBLIC}'), 'cc', json_array(n.attributed_to, '${OWNER}/followers')) END
  FROM reactions r JOIN notes n ON n.id = r.object WHERE r.actor = '${OWNER}'
  UNION ALL SELECT activity_id, 'Follow', actor, 'direct', created_at, json_object('id', activity_id, 'type', 'Follow', 'actor', '${OWNER}', 'object', actor, 'to', json_array(actor))
  FROM follows WHERE follower = '${OWNER}'
) ORDER BY t;

DROP TABLE bench_x;
DROP TABLE bench_o;
DROP TABLE bench_n;
`,
  };
}

function wrangler(args) {
  const r = spawnSync("wrangler", args, { env, stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`wrangler ${args.join(" ")}: ${r.stderr}${r.stdout}`);
  return r.stdout.toString();
}

/** Migrates and seeds `state`; the counts of what it holds. */
function seed(state) {
  const { sql, plan: p } = seedSql();
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
  const latencies = [];
  for (let i = 0; i < REQUESTS; i++) latencies.push((await request(endpoint)).ms);
  await sleep(FLUSH_MS);
  const after = await metrics();
  latencies.sort((a, b) => a - b);
  return {
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    rowsReadPerRequest: round((after.rows - before.rows - cost.rows) / REQUESTS),
    queriesPerRequest: round((after.queries - before.queries - cost.queries) / REQUESTS),
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
    dev = await startInstance({ port: PORT, state, env, log: Boolean(process.env.BENCH_LOG) });
    stopOnExit(dev);
    await request(ENDPOINTS.home); // creates the owner's keys
    const cost = await metricsCost();
    console.log(`one /metrics read: ${cost.rows} D1 rows, ${cost.queries} queries (subtracted)`);
    const endpoints = {};
    for (const [name, endpoint] of Object.entries(ENDPOINTS)) {
      endpoints[name] = await measure(endpoint, cost);
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
          },
        ]),
      ),
    );
    if (JSON_FILE) {
      const out = Object.fromEntries(
        Object.entries(endpoints).map(([name, { p50Ms, p99Ms, rowsReadPerRequest }]) => [
          name,
          { p50Ms, p99Ms, rowsReadPerRequest },
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
