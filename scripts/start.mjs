#!/usr/bin/env node
/**
 * `npm start [-- --port N] [wrangler dev options]`: a local Outpost instance, ready to be
 * followed. Each port gets its own state (D1, KV, queues, Durable Objects), its own owner
 * token and its own owner password under .wrangler/instances/<port>, so two instances can run
 * side by side; the public origin follows the port, and the development federation switch is
 * on (plain http to loopback hosts), so local instances can federate with each other.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const args = process.argv.slice(2);
const passthrough = [];
let port = 8787;
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === "--port" || arg === "-p") port = Number(args[++i]);
  else if (arg.startsWith("--port=")) port = Number(arg.slice("--port=".length));
  else passthrough.push(arg);
}
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error("usage: npm start -- [--port N] [wrangler dev options]");
  process.exit(2);
}

const origin = `http://localhost:${port}`;
const state = join(".wrangler", "instances", String(port));
mkdirSync(state, { recursive: true });

/**
 * A secret of the instance: from the environment, or generated once per instance and kept in
 * its folder (readable by its owner alone).
 */
function secret(name, file) {
  const value =
    process.env[name] ??
    (existsSync(file) ? readFileSync(file, "utf8").trim() : undefined) ??
    randomBytes(24).toString("base64url");
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return value;
}

// The owner token (the owner API, for scripts) and the owner's password (signing in an app).
const tokenFile = join(state, "owner-token");
const token = secret("OWNER_TOKEN", tokenFile);
const passwordFile = join(state, "owner-password");
const password = secret("OWNER_PASSWORD", passwordFile);

// No calls home: no telemetry, and the placeholder `request.cf` instead of fetching one.
const env = {
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
  ...process.env,
  OWNER_TOKEN: token,
  OWNER_PASSWORD: password,
};

const migrate = spawnSync(
  "wrangler",
  ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state],
  { env, stdio: ["ignore", "inherit", "inherit"] },
);
if (migrate.status !== 0) {
  console.error("Applying the local D1 migrations failed.");
  process.exit(migrate.status ?? 1);
}

const dev = spawn(
  "wrangler",
  [
    "dev",
    "--port",
    String(port),
    "--persist-to",
    state,
    "--var",
    `PUBLIC_ORIGIN:${origin}`,
    "--var",
    "DEV_FEDERATION:true",
    "--show-interactive-dev-session=false",
    ...passthrough,
  ],
  { env, stdio: ["inherit", "inherit", "inherit"] },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

await waitUntilReady();

/** Polls the instance, then fetches both actors once so that their keys exist. */
async function waitUntilReady() {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${origin}/.well-known/nodeinfo`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const accept = { Accept: "application/activity+json" };
  const [owner] = await Promise.all(
    [
      `${origin}/.well-known/webfinger?resource=acct:owner@localhost:${port}`,
      `${origin}/actor`,
    ].map((url) => fetch(url, { headers: accept }).catch(() => undefined)),
  );
  const jrd = owner?.ok ? await owner.json() : undefined;
  const self = jrd?.links?.find((l) => l.rel === "self")?.href;
  if (self !== undefined) await fetch(self, { headers: accept }).catch(() => undefined);
  const handle = jrd?.subject?.replace(/^acct:/, "@") ?? `(the owner at ${origin})`;
  console.log(`
  Outpost is running at ${origin}
    owner    ${handle}  ${self ?? ""}
    token    ${token}
             (Authorization: Bearer <token> for the owner API; kept in ${tokenFile})
    password ${password}
             (what you type when an app signs in to the account; kept in ${passwordFile})
    data     ${state}
    dev federation on: plain http to loopback hosts is allowed
`);
}
