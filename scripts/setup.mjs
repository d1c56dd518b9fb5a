#!/usr/bin/env node
/**
 * `npm run setup [-- --origin https://social.example --username alice]`: creates what the
 * Cloudflare account lacks, writes wrangler.deploy.jsonc, sets the owner's secrets, migrates,
 * deploys and checks the live instance (scripts/lib/setup.mjs).
 */
import { fileURLToPath } from "node:url";
import { consoleIo } from "./lib/io.mjs";
import { runSetup } from "./lib/setup.mjs";
import { createWrangler } from "./lib/wrangler.mjs";

const cwd = fileURLToPath(new URL("..", import.meta.url));
process.exitCode = await runSetup({
  argv: process.argv.slice(2),
  cwd,
  io: consoleIo(),
  wrangler: createWrangler({ cwd }),
  env: process.env,
});
