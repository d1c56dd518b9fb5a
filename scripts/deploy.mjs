#!/usr/bin/env node
/**
 * `npm run deploy`: an upgrade. Remote D1 migrations, then the deploy, with the configuration
 * setup wrote (refused while it has the development origin) (scripts/lib/deploy.mjs).
 */
import { fileURLToPath } from "node:url";
import { runDeploy } from "./lib/deploy.mjs";
import { consoleIo } from "./lib/io.mjs";
import { createWrangler } from "./lib/wrangler.mjs";

const cwd = fileURLToPath(new URL("..", import.meta.url));
process.exitCode = await runDeploy({
  argv: process.argv.slice(2),
  cwd,
  io: consoleIo(),
  wrangler: createWrangler({ cwd }),
  env: process.env,
});
