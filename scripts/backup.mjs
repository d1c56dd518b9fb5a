#!/usr/bin/env node
/**
 * `npm run backup`: the remote D1 database and the media list, in backups/<time>/, with a
 * note on restoring them (scripts/lib/backup.mjs).
 */
import { fileURLToPath } from "node:url";
import { runBackup } from "./lib/backup.mjs";
import { consoleIo } from "./lib/io.mjs";
import { createWrangler } from "./lib/wrangler.mjs";

const cwd = fileURLToPath(new URL("..", import.meta.url));
process.exitCode = await runBackup({
  argv: process.argv.slice(2),
  cwd,
  io: consoleIo(),
  wrangler: createWrangler({ cwd }),
});
