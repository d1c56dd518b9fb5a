/**
 * A local Outpost for the benchmarks: `wrangler dev` on a port, its state in a folder, with
 * development federation on (plain-http loopback remotes), ready once NodeInfo answers.
 */
import { spawn } from "node:child_process";

/** The environment wrangler runs in: no telemetry, no account, a known owner token. */
export function wranglerEnv(token) {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    OWNER_TOKEN: token,
  };
}

/** Starts `wrangler dev` (migrations already applied to `state`); resolves once it answers. */
export async function startInstance({ port, state, env, log = false }) {
  const origin = `http://localhost:${port}`;
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
    ],
    { env, stdio: ["ignore", log ? "inherit" : "ignore", "inherit"] },
  );
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${origin}/.well-known/nodeinfo`)).ok) return dev;
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  dev.kill();
  throw new Error("instance did not start");
}
