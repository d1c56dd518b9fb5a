#!/usr/bin/env node
/** Builds the Worker as `wrangler deploy` would (offline, nothing uploaded) and prints its size. */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const outdir = "dist";
rmSync(outdir, { recursive: true, force: true });
const build = spawnSync("wrangler", ["deploy", "--dry-run", "--outdir", outdir], {
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  stdio: ["ignore", "ignore", "inherit"],
});
if (build.status !== 0) process.exit(build.status ?? 1);

const modules = readdirSync(outdir).filter((f) => /\.(m?js|wasm)$/.test(f));
let raw = 0;
let gzip = 0;
for (const file of modules) {
  const bytes = readFileSync(join(outdir, file));
  raw += bytes.length;
  gzip += gzipSync(bytes, { level: 9 }).length;
}
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`bundle: ${kib(raw)} raw, ${kib(gzip)} gzip (${modules.join(", ")})`);
