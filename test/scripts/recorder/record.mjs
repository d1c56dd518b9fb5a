/**
 * Records test/fixtures/wrangler/: this project's wrangler, run as `npm run setup`, `deploy`
 * and `backup` run it, against a stand-in of the Cloudflare API on loopback (never the real
 * one): a fresh account set up, the same account a second time, an upgrade, each failure the
 * scripts explain, and a backup of a real local D1 database made by the migrations. Run it
 * again after upgrading wrangler, and review the diff:
 *
 *   node_modules/.bin/node test/scripts/recorder/record.mjs
 *
 * (about two minutes: each wrangler start takes a second or two). With names after it, it runs
 * every scenario but writes only the fixtures whose names start with one of them:
 *
 *   node_modules/.bin/node test/scripts/recorder/record.mjs failures/deploy- fresh/queue-info
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readBaseConfig } from "../../../scripts/lib/config-files.mjs";
import {
  DEPLOY_CONFIG_FILE as CONFIG,
  deriveDeployConfig,
  renderDeployConfig,
  resourcesOf,
} from "../../../scripts/lib/deploy-config.mjs";
import {
  COMMANDS,
  deployArgs,
  migrateArgs,
  neededResources,
  secretListArgs,
  WHOAMI,
} from "../../../scripts/lib/setup-plan.mjs";
import { ACCOUNT, ERRORS, freshState, startFakeApi } from "./fake-cloudflare-api.mjs";
import { recordBackup } from "./record-backup.mjs";
import { HOME, ROOT, record } from "./recorder-kit.mjs";

/** The kinds setup lists (queues it looks up one by one, by name: `lookQueues`). */
const LISTED = ["d1", "kv", "r2"];
const QUEUES = ["outpost-delivery", "outpost-delivery-dlq"];
const PROJECT = "wrangler.toml package.json tsconfig.json src migrations";
const APPLIED = /FROM "?d1_migrations"?\s+ORDER BY id/;

/** The deploy configuration setup would write, for the account's resources in `state`. */
export async function writeWorkConfig(work, state) {
  const base = await readBaseConfig(work);
  const resources = resourcesOf(base);
  const config = deriveDeployConfig(base, {
    origin: "https://social.example",
    username: "alice",
    accountId: ACCOUNT.id,
    d1Ids: Object.fromEntries(
      resources.d1.map((d) => [d.name, state.d1.find((x) => x.name === d.name)?.uuid]),
    ),
    kvIds: Object.fromEntries(
      resources.kv.map((k) => [k.binding, state.kv.find((x) => x.title === k.title)?.id]),
    ),
  });
  writeFileSync(join(work, CONFIG), renderDeployConfig(config));
  return resources;
}

function applied(names) {
  return {
    when: APPLIED,
    results: names.map((name, i) => ({ id: i + 1, name, applied_at: "2026-12-01 10:00:00" })),
  };
}

function reset(api, changes = {}) {
  Object.assign(api.state, freshState(), { origin: api.state.origin }, changes);
}

/** `queues info` for each queue setup needs, as `<prefix>/queue-info-<name>`. */
async function lookQueues(prefix, at) {
  for (const name of QUEUES) {
    await record(`${prefix}/queue-info-${name}`, COMMANDS.queue.info(name), at);
  }
}

async function deployWithSecrets(name, at) {
  const dir = mkdtempSync(join(tmpdir(), "outpost-recorder-"));
  const file = join(dir, "secrets.json");
  writeFileSync(
    file,
    JSON.stringify({ OWNER_TOKEN: "generated-1", OWNER_PASSWORD: "generated-2" }),
  );
  await record(name, deployArgs(CONFIG, file), { ...at, shown: deployArgs(CONFIG, "<secrets>") });
  rmSync(dir, { recursive: true, force: true });
}

async function fresh(api, at) {
  reset(api);
  await record("fresh/whoami", WHOAMI, at);
  await lookQueues("fresh", at);
  for (const kind of LISTED) await record(`fresh/${kind}-list`, COMMANDS[kind].list, at);
  const resources = resourcesOf(await readBaseConfig(at.cwd));
  for (const r of neededResources(resources)) {
    await record(`fresh/${r.kind}-create-${r.name}`, COMMANDS[r.kind].create(r.name), at);
  }
  for (const kind of ["d1", "kv"]) {
    await record(`fresh/${kind}-list-after`, COMMANDS[kind].list, at);
  }
  await writeWorkConfig(at.cwd, api.state);
  await record("fresh/secret-list", secretListArgs(CONFIG), at);
  api.state.queries = [applied([])];
  await record("fresh/migrations-apply", migrateArgs("DB", CONFIG), at);
  await deployWithSecrets("fresh/deploy", at);
}

/** The same account, a second time (setup again), then an upgrade with a new migration. */
async function again(api, at) {
  await lookQueues("again", at);
  for (const kind of LISTED) await record(`again/${kind}-list`, COMMANDS[kind].list, at);
  await record("again/secret-list", secretListArgs(CONFIG), at);
  api.state.queries = [applied(MIGRATIONS)];
  await record("again/migrations-apply", migrateArgs("DB", CONFIG), at);
  await record("again/deploy", deployArgs(CONFIG), at);
  api.state.queries = [applied(MIGRATIONS.slice(0, -1))];
  await record("upgrade/migrations-apply", migrateArgs("DB", CONFIG), at);
}

async function failures(api, at) {
  const ready = () => ({
    d1: structuredClone(api.state.d1),
    kv: structuredClone(api.state.kv),
    r2: structuredClone(api.state.r2),
    queues: structuredClone(api.state.queues),
  });
  const existing = ready();
  reset(api);
  await record("failures/whoami-not-logged-in", WHOAMI, { ...at, token: false });
  // Setup looks for both queues at once: both fail alike.
  for (const [i, queue] of QUEUES.entries()) {
    await record(
      `failures/queue-info-not-logged-in${i === 0 ? "" : "-dlq"}`,
      COMMANDS.queue.info(queue),
      {
        ...at,
        token: false,
      },
    );
  }
  reset(api, { accounts: [ACCOUNT, { id: "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", name: "Work" }] });
  await record("failures/whoami-two-accounts", WHOAMI, at);
  const cases = [
    ["queue-create-free-plan", "POST /queues", ERRORS.queuesFreePlan, "queue"],
    ["queue-create-not-enabled", "POST /queues", ERRORS.queuesNotEnabled, "queue"],
    ["queue-info-not-enabled", "GET /queues", ERRORS.queuesNotEnabled, "queue", "info"],
    ["r2-list-not-enabled", "GET /r2/buckets", ERRORS.r2NotEnabled, "r2", "list"],
    ["r2-create-not-enabled", "POST /r2/buckets", ERRORS.r2NotEnabled, "r2"],
    ["d1-create-name-taken", "POST /d1/database", ERRORS.d1Exists, "d1"],
    ["kv-create-name-taken", "POST /storage/kv/namespaces", ERRORS.kvExists, "kv"],
    ["r2-create-name-taken", "POST /r2/buckets", ERRORS.r2Exists, "r2"],
  ];
  const names = { queue: "outpost-delivery", d1: "outpost", kv: "outpost-actor-cache" };
  for (const [name, route, error, kind, what] of cases) {
    reset(api, { failures: { [route]: error } });
    const resource = names[kind] ?? "outpost-media";
    if (what === "info") {
      for (const [i, queue] of QUEUES.entries()) {
        await record(`failures/${name}${i === 0 ? "" : "-dlq"}`, COMMANDS.queue.info(queue), at);
      }
      continue;
    }
    const args = what === "list" ? COMMANDS[kind].list : COMMANDS[kind].create(resource);
    await record(`failures/${name}`, args, at);
  }
  reset(api, {
    ...existing,
    scripts: { outpost: { secrets: [{ name: "OWNER_TOKEN" }, { name: "OWNER_PASSWORD" }] } },
  });
  const upTo = MIGRATIONS.indexOf("0026_media.sql");
  api.state.queries = [
    applied(MIGRATIONS.slice(0, upTo)),
    { when: "'0027_actors_search.sql'", error: ERRORS.migrationFailed },
  ];
  await record("failures/migrations-apply-failed", migrateArgs("DB", CONFIG), at);
  reset(api, { ...existing, subdomain: null });
  await deployWithSecrets("failures/deploy-no-subdomain", at);
  // The delivery queue already has another Worker as its consumer: wrangler uploads the
  // Worker, with its secrets, then fails to add the consumer.
  const taken = structuredClone(existing);
  const delivery = taken.queues.find((q) => q.queue_name === QUEUES[0]);
  delivery.consumers = [{ type: "worker", script: "another-worker", consumer_id: "c0ffee" }];
  delivery.consumers_total_count = 1;
  reset(api, {
    ...taken,
    failures: { "POST /queues/:id/consumers": ERRORS.consumerExists },
  });
  await deployWithSecrets("failures/deploy-queue-consumer-taken", at);
  // What the next run of setup then finds: the Worker has the secrets that deploy carried.
  await record("failures/secret-list-after-consumer-taken", secretListArgs(CONFIG), at);
  reset(api, existing);
  return existing;
}

rmSync(HOME, { recursive: true, force: true });
mkdirSync(HOME, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "outpost-recorder-project-"));
// The project as committed (HEAD), so that edits in progress do not change the recording:
// setup runs at the repository's root, beside wrangler.toml, src/ and migrations/.
execFileSync("sh", ["-c", `git -C "${ROOT}" archive HEAD ${PROJECT} | tar -x -C "${work}"`]);
symlinkSync(join(ROOT, "node_modules"), join(work, "node_modules"));
const MIGRATIONS = readdirSync(join(work, "migrations"))
  .filter((f) => f.endsWith(".sql"))
  .sort();
const api = await startFakeApi();
const at = { api, cwd: work };
try {
  process.stdout.write(`Recording wrangler against ${api.url} in ${work}\n`);
  await fresh(api, at);
  await again(api, at);
  const existing = await failures(api, at);
  await recordBackup(api, { ...at, existing });
} finally {
  await api.close();
  rmSync(work, { recursive: true, force: true });
}
