/**
 * The one way the deploy scripts reach Cloudflare: running the project's own wrangler and
 * collecting what it prints. Everything that decides what to run takes such a runner as an
 * argument, so that tests can answer with outputs recorded from this wrangler
 * (test/fixtures/wrangler/) instead of calling Cloudflare.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";

/**
 * A runner that starts `node node_modules/wrangler/bin/wrangler.js ...` with the Node that
 * runs this script (through npm, the project's Node 22), no terminal (wrangler never prompts)
 * and no telemetry. `echo` copies what wrangler prints to this process's output as it comes
 * (for the long steps: migrations, deploy, export); it is collected either way.
 *
 * @param {{ cwd: string, env?: NodeJS.ProcessEnv }} options
 */
export function createWrangler({ cwd, env = process.env }) {
  const bin = join(cwd, "node_modules", "wrangler", "bin", "wrangler.js");
  /** @type {import("./wrangler.d.mts").Wrangler} */
  return (args, options = {}) =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], {
        cwd,
        env: { ...env, WRANGLER_SEND_METRICS: "false", ...options.env },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
        if (options.echo) process.stdout.write(chunk);
      });
      child.stderr.on("data", (chunk) => {
        stderr += chunk;
        if (options.echo) process.stderr.write(chunk);
      });
      child.on("error", (error) => resolve({ code: 127, stdout, stderr: `${stderr}${error}` }));
      child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
      child.stdin.end();
    });
}

/** What wrangler printed, without its colours. */
export function plain(text) {
  return stripVTControlCharacters(text);
}

/** A command as the user would type it, for messages. */
export function commandLine(args) {
  const quoted = args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a)));
  return ["npx", "wrangler", ...quoted].join(" ");
}

/**
 * The JSON value a `--json`-style command printed (`d1 list --json`, `kv namespace list`,
 * `whoami --json`, `secret list`, `d1 execute --json`): from its first line that opens an
 * array or an object, so that a banner or a notice before it does not matter. Undefined when
 * there is none.
 */
export function parseJsonOutput(stdout) {
  const text = plain(stdout);
  const start = text.search(/^[[{]/m);
  if (start === -1) return undefined;
  try {
    return JSON.parse(text.slice(start));
  } catch {
    return undefined;
  }
}

/** The bucket names `wrangler r2 bucket list` printed (`name:` lines). */
export function parseR2BucketNames(stdout) {
  return [...plain(stdout).matchAll(/^name:\s+(\S+)\s*$/gm)].map((m) => m[1] ?? "");
}

/** The workers.dev URL `wrangler deploy` printed, if it published there. */
export function parseWorkersDevUrl(stdout) {
  const host = /\b([a-z0-9-]+\.[a-z0-9-]+\.workers\.dev)\b/i.exec(plain(stdout))?.[1];
  return host === undefined ? undefined : `https://${host}`;
}
