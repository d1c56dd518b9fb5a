/**
 * A local Outpost for the benchmarks and the interop suite: `wrangler dev` on a port, its
 * state in a folder, with development federation on (plain-http loopback remotes), ready
 * once NodeInfo answers.
 */
import { spawn, spawnSync } from "node:child_process";

/** The owner's password of the instances the benchmarks and the interop suite start. */
export const INTEROP_PASSWORD = "interop-owner-password";

/**
 * The environment wrangler runs in: no telemetry, no account, a known owner token and owner
 * password (the secrets wrangler.toml requires).
 */
export function wranglerEnv(token, password = INTEROP_PASSWORD) {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    OWNER_TOKEN: token,
    OWNER_PASSWORD: password,
  };
}

/** Applies the D1 migrations to the local state in `state`. */
export function migrate(state, env) {
  const run = spawnSync(
    "wrangler",
    ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state],
    {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  if (run.status !== 0) throw new Error(`migrations failed: ${run.stderr}`);
}

/**
 * Starts `wrangler dev` (migrations already applied to `state`); resolves once it answers
 * `ready`. It runs in its own process group, so that `stopInstance` also ends the workerd it
 * starts. `config` is another Worker's wrangler.toml (the benchmarks' Fedify peer).
 */
export async function startInstance({
  port,
  state,
  env,
  hostname = "localhost",
  vars = {},
  log = false,
  inspectorPort,
  config,
  ready = "/.well-known/nodeinfo",
}) {
  const origin = `http://${hostname}:${port}`;
  const settings = { PUBLIC_ORIGIN: origin, DEV_FEDERATION: "true", ...vars };
  const dev = spawn(
    "wrangler",
    [
      "dev",
      ...(config === undefined ? [] : ["--config", config]),
      ...(hostname === "localhost" ? [] : ["--ip", hostname]),
      "--port",
      String(port),
      "--persist-to",
      state,
      ...Object.entries(settings).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
      "--show-interactive-dev-session=false",
      ...(inspectorPort === undefined ? [] : ["--inspector-port", String(inspectorPort)]),
    ],
    { env, detached: true, stdio: ["ignore", log ? "inherit" : "ignore", "inherit"] },
  );
  let failed;
  dev.once("error", (error) => {
    failed = error;
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && dev.exitCode === null && failed === undefined) {
    try {
      if ((await fetch(`${origin}${ready}`)).ok) return dev;
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  await stopInstance(dev);
  throw new Error(`instance did not start${failed ? `: ${failed.message}` : ""}`);
}

/**
 * Ends `wrangler dev` and everything it started (workerd may outlive wrangler); resolves once
 * wrangler has exited. Safe to call twice, or on a process that never started.
 */
export async function stopInstance(dev) {
  const group = (name) => {
    try {
      if (dev.pid !== undefined) process.kill(-dev.pid, name);
    } catch {} // ESRCH: the group is gone already
  };
  if (dev.exitCode === null && dev.signalCode === null && dev.pid !== undefined) {
    const exited = new Promise((resolve) => dev.once("exit", resolve));
    group("SIGTERM");
    const timer = setTimeout(() => group("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
  group("SIGKILL");
}

/** Kills the instance's process group when this process exits, however it exits. */
export function stopOnExit(dev) {
  const kill = () => {
    try {
      if (dev.pid !== undefined) process.kill(-dev.pid, "SIGKILL");
    } catch {}
  };
  // A signal ends the process without "exit": stop workerd, then die of the signal as before.
  const onSignal = (signal) => {
    kill();
    process.kill(process.pid, signal);
  };
  process.once("exit", kill);
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  return () => {
    process.off("exit", kill);
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  };
}

/**
 * The instance's `/metrics` counters, read with the owner's token: `total(name, label?)` sums
 * a family's samples (those whose labels include `label`, when given).
 */
export async function scrapeMetrics(origin, token) {
  const text = await (
    await fetch(`${origin}/metrics`, { headers: { Authorization: `Bearer ${token}` } })
  ).text();
  const lines = text.split("\n").filter((l) => !l.startsWith("#"));
  return {
    total: (name, label) =>
      lines
        .filter((l) => l.startsWith(name) && (label === undefined || l.includes(label)))
        .reduce((n, l) => n + Number(l.split(" ").pop()), 0),
  };
}

/** A benchmark's option: the word after `--name` on its command line, or `fallback`. */
export function cliArg(name, fallback) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
}
