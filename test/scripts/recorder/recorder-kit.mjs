/**
 * Running the project's wrangler for a recording and writing what it printed as a fixture:
 * `{ args, code, stdout, stderr }`, in test/fixtures/wrangler/<name>.json.
 *
 * What is normalised, so that fixtures do not change from one recording to the next: the
 * recorder's home folder (in the "Logs were written to" line) becomes `~`, its scratch
 * project folder `.`, and the stand-in's loopback address in the export's download line
 * becomes a presigned R2 address as the real API gives. The rest is as wrangler printed it,
 * colours included.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ACCOUNT } from "./fake-api-kit.mjs";

export const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
export const FIXTURES = join(ROOT, "test", "fixtures", "wrangler");
const BIN = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
export const HOME = "/tmp/outpost-wrangler-recorder";
/** The fixtures to write (name prefixes, from the command line): all when none is given. */
const ONLY = process.argv.slice(2);

/** Whether the fixture `name` ("fresh/deploy", "backup/database") is to be written. */
export function wanted(name) {
  return ONLY.length === 0 || ONLY.some((prefix) => name.startsWith(prefix));
}

/** Runs wrangler in `cwd` against the stand-in at `api`; what it printed. */
export function runWrangler(args, { api, cwd, token = true, env = {} }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME,
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_API_BASE_URL: api?.url ?? "http://127.0.0.1:9/client/v4",
        ...(token ? { CLOUDFLARE_API_TOKEN: "recorded-api-token" } : {}),
        ...(api && token ? { CLOUDFLARE_ACCOUNT_ID: ACCOUNT.id } : {}),
        ...env,
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => {
      stdout += c;
    });
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end();
  });
}

/** The recorded text, with what differs between recordings made the same. */
function normalise(text, cwd) {
  return text
    .replaceAll(HOME, "~")
    .replaceAll(`${cwd}/`, "")
    .replaceAll(cwd, ".")
    .replace(
      /http:\/\/127\.0\.0\.1:\d+\/__export\.sql/g,
      `https://${ACCOUNT.id}.r2.cloudflarestorage.com/d1-exports/outpost-0000000a.sql?X-Amz-Expires=3600&X-Amz-Signature=5d3c`,
    );
}

/**
 * Runs wrangler and writes the fixture `name`. `shown`: the arguments as the scripts pass
 * them, when the recording needed others (a temporary secrets file's path).
 */
export async function record(name, args, options) {
  const result = await runWrangler(args, options);
  if (!wanted(name)) {
    process.stdout.write(`  (not written) ${name}\n`);
    return result;
  }
  const fixture = {
    args: options.shown ?? args,
    code: result.code,
    stdout: normalise(result.stdout, options.cwd),
    stderr: normalise(result.stderr, options.cwd),
  };
  const file = join(FIXTURES, `${name}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(fixture, null, 2)}\n`);
  const mark = result.code === 0 ? "ok  " : `exit ${result.code}`;
  process.stdout.write(`  ${mark} ${name}\n`);
  return result;
}

/** Runs wrangler for the recording's own needs; fails loudly if it fails. */
export async function must(args, options) {
  const result = await runWrangler(args, options);
  if (result.code !== 0) {
    throw new Error(`wrangler ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}
