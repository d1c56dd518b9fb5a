#!/usr/bin/env node
/**
 * `npm run bench:scale [-- --json FILE]`
 *
 * One post to 1,000 followers on 500 hosts, then to 10,000 followers on 5,000 hosts, each by
 * a fresh local Outpost (`bench:fanout -- --only clean`, with its V8 profile of the isolate):
 * queue messages, D1 rows read and written, Durable Object calls, KV writes, the Worker's CPU,
 * wall time, nothing lost. From them, the Workers Free plan's arithmetic: what one post costs
 * of each daily allowance, and how many such posts a day fit.
 *
 * Queue operations: a message costs three (written, read, acknowledged), as Cloudflare bills
 * them per 64 KB; a retry costs more, and a clean run has none. Every queue invocation is also
 * a Worker request; Durable Object requests are the calls made and the invocations' flushes to
 * the Metrics object (`outpost_metrics_flushes_total`), which counts the rows it writes to its
 * storage (`outpost_metrics_rows_written_total`: Durable Objects' rows written have their own
 * daily allowance). The limits are the free plan's, as of this writing:
 * https://developers.cloudflare.com/workers/platform/limits/ and each product's pricing page.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliArg } from "./instance.mjs";

const JSON_FILE = cliArg("json");

/** The Workers Free plan's daily allowances. */
const FREE = {
  queueOperations: 10_000,
  d1RowsRead: 5_000_000,
  d1RowsWritten: 100_000,
  durableObjectRequests: 100_000,
  durableObjectRowsWritten: 100_000,
  kvReads: 100_000,
  kvWrites: 1_000,
  workerRequests: 100_000,
};
/** Operations Queues bills per message: write, read, delete. */
const OPS_PER_MESSAGE = 3;

function fanout(followers, hosts) {
  const dir = mkdtempSync(join(tmpdir(), "outpost-scale-"));
  const file = join(dir, "clean.json");
  const run = spawnSync(
    process.execPath,
    [
      "bench/fanout.mjs",
      "--only",
      "clean",
      "--followers",
      String(followers),
      "--hosts",
      String(hosts),
      "--json",
      file,
    ],
    { stdio: ["ignore", "ignore", "inherit"], timeout: 1_800_000 },
  );
  if (run.status !== 0) throw new Error(`bench:fanout failed (${run.status})`);
  const { clean } = JSON.parse(readFileSync(file, "utf8"));
  rmSync(dir, { recursive: true, force: true });
  return { followers, hosts, ...clean };
}

/** One post's use of each allowance, and how many posts a day the tightest one lets through. */
function freePlan(run) {
  const perPost = {
    queueOperations: run.queueMessages * OPS_PER_MESSAGE,
    d1RowsRead: run.d1RowsRead,
    d1RowsWritten: run.d1RowsWritten,
    durableObjectRequests: run.doCalls + run.metricsFlushes,
    // The Metrics object's, as it counts them (a clean run hands no host to its object).
    durableObjectRowsWritten: run.metricsRowsWritten,
    kvReads: run.kvReads ?? 0,
    kvWrites: run.kvWrites ?? 0,
    // The publishing request, then one invocation per queue message.
    workerRequests: 1 + run.queueMessages,
  };
  const postsPerDay = Object.fromEntries(
    Object.entries(perPost).map(([k, used]) => [
      k,
      used === 0 ? Number.POSITIVE_INFINITY : Math.floor(FREE[k] / used),
    ]),
  );
  const [limitedBy, posts] = Object.entries(postsPerDay).sort((a, b) => a[1] - b[1])[0];
  return { perPost, postsPerDay, limitedBy, posts };
}

const runs = [fanout(1_000, 500), fanout(10_000, 5_000)];
const result = runs.map((run) => ({
  followers: run.followers,
  hosts: run.hosts,
  uniqueInboxes: run.uniqueInboxes,
  delivered: run.delivered,
  lost: run.lost,
  duplicates: run.duplicates,
  wallMs: run.wallMs,
  queueMessages: run.queueMessages,
  d1RowsRead: run.d1RowsRead,
  d1RowsWritten: run.d1RowsWritten,
  doCalls: run.doCalls,
  metricsFlushes: run.metricsFlushes,
  kvReads: run.kvReads ?? 0,
  kvWrites: run.kvWrites ?? 0,
  workerCpuMsPerDelivery: run.workerCpuMsPerDelivery,
  workerCpuMsPerPost: Number((run.workerCpuMsPerDelivery * run.posts).toFixed(0)),
  maxInvocationCpuMs: run.maxInvocationCpuMs,
  freePlan: freePlan(run),
}));
console.log("\nscale: one post, clean, local workerd");
console.table(
  Object.fromEntries(
    result.map((r) => [
      `${r.followers} followers`,
      {
        inboxes: r.uniqueInboxes,
        delivered: r.delivered,
        lost: r.lost,
        "wall s": (r.wallMs / 1000).toFixed(1),
        "queue msgs": r.queueMessages,
        "D1 read": r.d1RowsRead,
        "D1 written": r.d1RowsWritten,
        "DO calls": r.doCalls,
        "metrics flushes": r.metricsFlushes,
        "KV reads": r.kvReads,
        "KV writes": r.kvWrites,
        "CPU ms/post": r.workerCpuMsPerPost,
        "max invocation ms": r.maxInvocationCpuMs,
      },
    ]),
  ),
);
console.log("\nthe Workers Free plan, per post (and posts a day that fit)");
console.table(
  Object.fromEntries(
    Object.keys(FREE).map((k) => [
      `${k} (${FREE[k].toLocaleString("en")}/day)`,
      Object.fromEntries(
        result.map((r) => [
          `${r.followers} followers`,
          `${r.freePlan.perPost[k]} (${r.freePlan.postsPerDay[k] === Number.POSITIVE_INFINITY ? "∞" : r.freePlan.postsPerDay[k]})`,
        ]),
      ),
    ]),
  ),
);
for (const r of result) {
  console.log(
    `${r.followers} followers: ${r.freePlan.posts} posts a day fit the free plan (limited by ${r.freePlan.limitedBy})`,
  );
}
if (JSON_FILE)
  writeFileSync(JSON_FILE, `${JSON.stringify({ runs: result, free: FREE }, null, 2)}\n`);
