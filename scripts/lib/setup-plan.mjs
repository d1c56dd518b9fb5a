/**
 * Setup's decisions, without I/O: the wrangler commands it runs, which account to use, what
 * the account already has (from the list commands' outputs), what to create, which secrets
 * to generate. Creating only what is missing is what makes a second run change nothing.
 */
import { parseJsonOutput, parseR2BucketNames, plain } from "./wrangler.mjs";

/**
 * The command that lists each kind of resource, and the one that creates one. Queues are
 * looked up one by one, by name (`queues info`): `queues list` prints one page of them (the
 * API's first, unless `--page` says another), so on an account with many queues the ones
 * setup needs may not be on it.
 */
export const COMMANDS = {
  queue: {
    info: (name) => ["queues", "info", name],
    create: (name) => ["queues", "create", name],
  },
  d1: { list: ["d1", "list", "--json"], create: (name) => ["d1", "create", name] },
  kv: { list: ["kv", "namespace", "list"], create: (name) => ["kv", "namespace", "create", name] },
  r2: { list: ["r2", "bucket", "list"], create: (name) => ["r2", "bucket", "create", name] },
};

/** What each kind is called in messages. */
export const KIND_NAMES = {
  queue: "queue",
  d1: "D1 database",
  kv: "KV namespace",
  r2: "R2 bucket",
};

export const WHOAMI = ["whoami", "--json"];

export function secretListArgs(config) {
  return ["secret", "list", "--config", config];
}

export function migrateArgs(binding, config) {
  return ["d1", "migrations", "apply", binding, "--remote", "--config", config];
}

export function deployArgs(config, secretsFile) {
  return ["deploy", "--config", config, ...(secretsFile ? ["--secrets-file", secretsFile] : [])];
}

/**
 * The account to set up in: the one asked for (`--account-id`, then CLOUDFLARE_ACCOUNT_ID),
 * else the one a previous run chose, else the only one the login reaches.
 *
 * @returns {{ ok: true, account: { id: string, name: string } }
 *   | { ok: false, reason: "notFound" | "several" | "none", accounts: { id: string, name: string }[] }}
 */
export function chooseAccount({ accounts, requested, previous }) {
  if (requested !== undefined && requested !== "") {
    const account = accounts.find((a) => a.id === requested);
    return account ? { ok: true, account } : { ok: false, reason: "notFound", accounts };
  }
  const kept = accounts.find((a) => a.id === previous);
  if (kept) return { ok: true, account: kept };
  if (accounts.length === 1 && accounts[0]) return { ok: true, account: accounts[0] };
  return { ok: false, reason: accounts.length === 0 ? "none" : "several", accounts };
}

/**
 * What `wrangler queues info <name>` says of the queue `name`: "found" (it printed the queue,
 * under that name), "missing" (it failed with `Queue "<name>" does not exist`), or undefined
 * when it says neither (another failure, or an output this wrangler does not print).
 *
 * @param {string} name
 * @param {{ code: number, stdout: string, stderr: string }} result
 * @returns {"found" | "missing" | undefined}
 */
export function readQueueInfo(name, result) {
  const text = plain(`${result.stdout}\n${result.stderr}`);
  if (result.code === 0) {
    const shown = /^Queue Name: (.*)$/m.exec(text)?.[1]?.trim();
    if (shown === undefined) return undefined;
    // The API filters by name; a queue under another name is not this one.
    return shown === name ? "found" : "missing";
  }
  return text.includes(`Queue "${name}" does not exist`) ? "missing" : undefined;
}

/**
 * What a list command's output says exists: names (and ids, for D1 and KV). Undefined when
 * the output cannot be read. (Queues are looked up by name: `readQueueInfo`.)
 *
 * @returns {Map<string, string> | undefined} name → id (the name itself when there is no id)
 */
export function readInventory(kind, stdout) {
  if (kind === "r2") return new Map(parseR2BucketNames(stdout).map((n) => [n, n]));
  const list = parseJsonOutput(stdout);
  if (!Array.isArray(list)) return undefined;
  if (kind === "d1") return new Map(list.map((db) => [db.name, db.uuid]));
  return new Map(list.map((ns) => [ns.title, ns.id]));
}

/**
 * Every resource the Worker needs, in the order setup makes them (the delivery queue and its
 * dead-letter queue first), as `{ kind, name }`.
 */
export function neededResources(resources) {
  return [
    ...resources.queues.map((name) => ({ kind: "queue", name })),
    ...resources.d1.map((d) => ({ kind: "d1", name: d.name })),
    ...resources.kv.map((k) => ({ kind: "kv", name: k.title })),
    ...resources.r2.map((b) => ({ kind: "r2", name: b.name })),
  ];
}

/**
 * Those the account does not have. `inventory`: kind → Map of what exists. A D1 database or
 * KV namespace the deploy configuration names by id (`previous`) is there if that id is.
 */
export function missingResources(resources, inventory, previous = {}) {
  const ids = idsOf(resources, inventory, previous);
  const byId = {
    d1: new Map(resources.d1.map((d) => [d.name, ids.d1Ids[d.name]])),
    kv: new Map(resources.kv.map((k) => [k.title, ids.kvIds[k.binding]])),
  };
  return neededResources(resources).filter(
    (r) => !inventory[r.kind]?.has(r.name) && byId[r.kind]?.get(r.name) === undefined,
  );
}

/**
 * The ids of the D1 databases (by name) and KV namespaces (by binding), once they exist: the
 * one the deploy configuration already names while the account still has it (a database
 * restored from a backup under another name, say), else the one found by name.
 */
export function idsOf(resources, inventory, previous = {}) {
  const pick = (kept, found, existing) =>
    kept !== undefined && [...(existing?.values() ?? [])].includes(kept) ? kept : found;
  return {
    d1Ids: Object.fromEntries(
      resources.d1.map((d) => [
        d.name,
        pick(previous.d1Ids?.[d.name], inventory.d1?.get(d.name), inventory.d1),
      ]),
    ),
    kvIds: Object.fromEntries(
      resources.kv.map((k) => [
        k.binding,
        pick(previous.kvIds?.[k.binding], inventory.kv?.get(k.title), inventory.kv),
      ]),
    ),
  };
}

/**
 * The secrets to generate: those the Worker requires and does not have. `listed`: the output
 * of `wrangler secret list` (a JSON array of `{ name }`), or undefined when the Worker does
 * not exist yet.
 */
export function missingSecrets(required, listed) {
  const have = new Set((listed ?? []).map((s) => s?.name));
  return required.filter((name) => !have.has(name));
}
