/**
 * The production configuration, derived: wrangler.toml stays the development configuration
 * (tests and `npm start` read it, with the localhost origin), and `npm run setup` writes
 * `wrangler.deploy.jsonc` beside it, not committed: wrangler.toml with the public origin, the
 * owner's username, the account and the ids of the resources setup created. `npm run deploy`
 * derives it again from the current wrangler.toml before each deploy, so an upgrade that
 * adds a binding or a Durable Object migration is deployed with it; what the file itself
 * holds (the account, the vars, routes, workers_dev, preview_urls and the ids) is kept from
 * run to run.
 *
 * No I/O here: `config-files.mjs` reads and writes the files.
 */

export const BASE_CONFIG_FILE = "wrangler.toml";
export const DEPLOY_CONFIG_FILE = "wrangler.deploy.jsonc";

/** What the app accepts as the owner's username (src/env.ts). */
const USERNAME = /^[a-z0-9_]{1,30}$/i;

/**
 * The title of a KV namespace: the one wrangler's own provisioning gives a binding
 * (`outpost-actor-cache`), so that an instance first deployed that way is found again.
 */
export function kvTitle(workerName, binding) {
  return `${workerName}-${binding.toLowerCase().replaceAll("_", "-")}`;
}

/**
 * What the Worker needs created before it is deployed, read from wrangler.toml: queues
 * (those it sends to, consumes and dead-letters into), D1 databases, KV namespaces and R2
 * buckets.
 */
export function resourcesOf(base) {
  const producers = base.queues?.producers ?? [];
  const consumers = base.queues?.consumers ?? [];
  const queueNames = [
    ...producers.map((p) => p.queue),
    ...consumers.flatMap((c) => [c.queue, c.dead_letter_queue]),
  ].filter((name) => typeof name === "string" && name !== "");
  return {
    worker: base.name,
    queues: [...new Set(queueNames)],
    d1: (base.d1_databases ?? []).map((d) => ({ binding: d.binding, name: d.database_name })),
    kv: (base.kv_namespaces ?? []).map((k) => ({
      binding: k.binding,
      title: kvTitle(base.name, k.binding),
    })),
    r2: (base.r2_buckets ?? []).map((b) => ({ binding: b.binding, name: b.bucket_name })),
  };
}

/** What a previous run left in the deploy configuration, to keep (nothing when there is none). */
export function settingsOf(deploy) {
  const vars = deploy?.vars ?? {};
  const ids = (list, key, id) =>
    Object.fromEntries(
      (list ?? []).filter((item) => typeof item[id] === "string").map((i) => [i[key], i[id]]),
    );
  return {
    accountId: deploy?.account_id,
    origin: typeof vars.PUBLIC_ORIGIN === "string" ? vars.PUBLIC_ORIGIN : undefined,
    username: typeof vars.OWNER_USERNAME === "string" ? vars.OWNER_USERNAME : undefined,
    vars,
    routes: deploy?.routes,
    workersDev: deploy?.workers_dev,
    previewUrls: deploy?.preview_urls,
    d1Ids: ids(deploy?.d1_databases, "database_name", "database_id"),
    kvIds: ids(deploy?.kv_namespaces, "binding", "id"),
  };
}

/**
 * The deploy configuration: wrangler.toml, with the vars a previous run kept (only those
 * wrangler.toml still declares), the origin and username, the account, and the ids.
 */
export function deriveDeployConfig(base, settings) {
  const { $schema: _schema, ...rest } = base;
  const vars = { ...base.vars };
  for (const key of Object.keys(vars)) {
    const kept = settings.vars?.[key];
    if (typeof kept === "string") vars[key] = kept;
  }
  if (settings.origin !== undefined) vars.PUBLIC_ORIGIN = settings.origin;
  if (settings.username !== undefined) vars.OWNER_USERNAME = settings.username;
  return {
    $schema: "node_modules/wrangler/config-schema.json",
    ...rest,
    ...(settings.accountId === undefined ? {} : { account_id: settings.accountId }),
    ...(settings.routes === undefined ? {} : { routes: settings.routes }),
    ...(settings.workersDev === undefined ? {} : { workers_dev: settings.workersDev }),
    // No preview URLs (another address serving the instance) unless asked for; saying so
    // also spares a warning on every deploy.
    preview_urls: settings.previewUrls ?? false,
    vars,
    d1_databases: (base.d1_databases ?? []).map((d) => ({
      ...d,
      database_id: settings.d1Ids?.[d.database_name],
    })),
    kv_namespaces: (base.kv_namespaces ?? []).map((k) => ({
      ...k,
      id: settings.kvIds?.[k.binding],
    })),
  };
}

/** The bindings of a deploy configuration that still lack the id of their resource. */
export function missingIds(config) {
  return [
    ...(config.d1_databases ?? []).filter((d) => !d.database_id).map((d) => d.binding),
    ...(config.kv_namespaces ?? []).filter((k) => !k.id).map((k) => k.binding),
  ];
}

/** The file's text: JSON, with a comment saying where it comes from. */
export function renderDeployConfig(config) {
  return `// Written by \`npm run setup\` (and again by \`npm run deploy\`) from wrangler.toml: what is
// deployed. Kept from one run to the next: account_id, vars, routes, workers_dev,
// preview_urls and the resource ids (edit those here); the rest comes from wrangler.toml.
// Not committed: it names your account and your resources.
${JSON.stringify(config, null, 2)}
`;
}

/** Whether a host name is a loopback one (src/env.ts's rule). */
export function isLoopbackHostname(hostname) {
  const h = hostname.toLowerCase().replace(/\.+$/, "");
  return (
    h === "localhost" ||
    h.endsWith(".localhost") ||
    h === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
  );
}

/**
 * The public origin as typed (`social.example` is taken as `https://social.example`),
 * checked as the app checks it, and refused when it could not be deployed: plain http or a
 * loopback host.
 *
 * @returns {{ ok: true, origin: string } | { ok: false, reason: string }}
 */
export function parseOrigin(input) {
  const text = String(input ?? "").trim();
  if (text === "") return { ok: false, reason: "the public origin is empty" };
  const url = URL.parse(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  if (
    url === null ||
    (url.protocol !== "https:" && url.protocol !== "http:") ||
    url.username !== "" ||
    url.password !== "" ||
    url.pathname !== "/" ||
    url.search !== "" ||
    url.hash !== ""
  ) {
    return { ok: false, reason: `${text} is not a bare origin such as https://social.example` };
  }
  if (isLoopbackHostname(url.hostname)) {
    return { ok: false, reason: `${url.origin} is a local address: Cloudflare cannot serve it` };
  }
  if (url.protocol !== "https:") {
    return { ok: false, reason: `${url.origin} is plain http: a deployed instance needs https` };
  }
  if (!url.hostname.includes(".")) {
    return { ok: false, reason: `${url.hostname} is not a public domain name` };
  }
  return { ok: true, origin: url.origin };
}

/**
 * The owner's username as typed (`@alice` is taken as `alice`), checked as the app checks it.
 *
 * @returns {{ ok: true, username: string } | { ok: false, reason: string }}
 */
export function parseUsername(input, origin) {
  const username = String(input ?? "")
    .trim()
    .replace(/^@/, "");
  if (!USERNAME.test(username)) {
    return { ok: false, reason: "the username must be 1 to 30 letters, digits or underscores" };
  }
  if (origin !== undefined && new URL(origin).hostname.toLowerCase() === username.toLowerCase()) {
    return { ok: false, reason: "the username must differ from the host name" };
  }
  return { ok: true, username };
}

/**
 * Why a deploy configuration must not be deployed (none: it may): the development origin
 * still in it, an origin or username the app would refuse, the development switches on.
 */
export function deployProblems(config) {
  const vars = config.vars ?? {};
  const problems = [];
  const origin = parseOrigin(vars.PUBLIC_ORIGIN);
  if (!origin.ok) {
    problems.push(`PUBLIC_ORIGIN: ${origin.reason}`);
  } else if (vars.PUBLIC_ORIGIN !== origin.origin) {
    problems.push(`PUBLIC_ORIGIN: write it as ${origin.origin}`);
  }
  const username = parseUsername(vars.OWNER_USERNAME, origin.ok ? origin.origin : undefined);
  if (!username.ok || username.username !== vars.OWNER_USERNAME) {
    problems.push(`OWNER_USERNAME: ${username.ok ? "write it without @" : username.reason}`);
  }
  if (!["", "false", "0", undefined].includes(vars.DEV_FEDERATION)) {
    problems.push("DEV_FEDERATION: development only, must be false");
  }
  if (![undefined, ""].includes(vars.DEV_RETRY_BASE_MS)) {
    problems.push("DEV_RETRY_BASE_MS: development only, must be empty");
  }
  return problems;
}
