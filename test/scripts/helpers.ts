/**
 * What the deploy scripts' tests share: wrangler answered from the recorded fixtures
 * (test/fixtures/wrangler/, made by test/scripts/recorder/record.mjs), a terminal that
 * collects what is printed, a project folder with this repository's wrangler.toml, and an
 * Outpost stand-in on loopback for the live checks.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Io } from "../../scripts/lib/io.mjs";
import type { RunOptions, Wrangler, WranglerResult } from "../../scripts/lib/wrangler.mjs";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FIXTURES = join(ROOT, "test", "fixtures", "wrangler");
/** The account the fixtures were recorded in. */
export const ACCOUNT_ID = "4f9e2c1d8a7b6c5d4e3f2a1b0c9d8e7f";

/** What setup runs on a fresh account, as recorded. */
export const FRESH = [
  "fresh/whoami",
  "fresh/queue-info-outpost-delivery",
  "fresh/queue-info-outpost-delivery-dlq",
  "fresh/d1-list",
  "fresh/kv-list",
  "fresh/r2-list",
  "fresh/queue-create-outpost-delivery",
  "fresh/queue-create-outpost-delivery-dlq",
  "fresh/d1-create-outpost",
  "fresh/kv-create-outpost-actor-cache",
  "fresh/r2-create-outpost-media",
  "fresh/d1-list-after",
  "fresh/kv-list-after",
  "fresh/secret-list",
  "fresh/migrations-apply",
  "fresh/deploy",
];
/** What it runs on the same account the second time. */
export const AGAIN = [
  "fresh/whoami",
  "again/queue-info-outpost-delivery",
  "again/queue-info-outpost-delivery-dlq",
  "again/d1-list",
  "again/kv-list",
  "again/r2-list",
  "again/secret-list",
  "again/migrations-apply",
  "again/deploy",
];
export interface Fixture extends WranglerResult {
  args: string[];
}

export function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8"));
}

export interface Call {
  args: string[];
  options: RunOptions;
}

/**
 * A wrangler that answers each call with the next fixture of `names`, after checking that
 * the call is the command the fixture recorded (a temporary secrets file's path is written
 * `<secrets>` in fixtures); a call beyond them, or another command, fails the test.
 * `onCall` sees each call as it is made (to read a secrets file before it is removed).
 */
export function replay(names: string[], onCall?: (call: Call) => void) {
  const queue = [...names];
  const calls: Call[] = [];
  const wrangler: Wrangler = async (args, options = {}) => {
    calls.push({ args, options });
    onCall?.({ args, options });
    const name = queue.shift();
    if (name === undefined) throw new Error(`unexpected: wrangler ${args.join(" ")}`);
    const recorded = fixture(name);
    const shown = args.map((a, i) => (args[i - 1] === "--secrets-file" ? "<secrets>" : a));
    if (JSON.stringify(shown) !== JSON.stringify(recorded.args)) {
      throw new Error(
        `wrangler ${shown.join(" ")}\n  is not the command of ${name}:\n  wrangler ${recorded.args.join(" ")}`,
      );
    }
    return { code: recorded.code, stdout: recorded.stdout, stderr: recorded.stderr };
  };
  return { wrangler, calls, left: () => [...queue] };
}

/** A terminal that keeps what is printed; `answers`, when given, answer its questions. */
export function captureIo(answers?: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const asked: string[] = [];
  const io: Io = {
    out: (text) => {
      out.push(text);
    },
    err: (text) => {
      err.push(text);
    },
    ask:
      answers === undefined
        ? undefined
        : async (question) => {
            asked.push(question);
            return answers.shift() ?? "";
          },
  };
  return { io, out, err, asked, all: () => [...out, ...err].join("\n") };
}

/** A scratch project: this repository's wrangler.toml, nothing else. */
export function scratchProject() {
  const dir = mkdtempSync(join(tmpdir(), "outpost-scripts-"));
  copyFileSync(join(ROOT, "wrangler.toml"), join(dir, "wrangler.toml"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export type InstanceMode = "good" | "missing" | "wrongActor" | "noNodeInfo";

/**
 * An Outpost as other servers see it, on loopback: WebFinger, NodeInfo and the owner's actor
 * for `origin` and `username`, or, by `mode`, the wrong answers a misconfigured domain gives.
 */
export async function fakeInstance(options: {
  /** Default: its own loopback address. */
  origin?: string;
  username: string;
  mode?: InstanceMode;
}): Promise<{ server: Server; port: number; origin: string; close: () => Promise<void> }> {
  const { username } = options;
  const server = createServer((req, res) => {
    const origin = options.origin ?? `http://${req.headers.host}`;
    const host = new URL(origin).host;
    const actor = `${origin}/users/${username}`;
    const mode = options.mode ?? "good";
    const url = new URL(req.url ?? "/", origin);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (mode === "missing") return json(404, { error: "not found" });
    if (url.pathname === "/.well-known/webfinger") {
      if (url.searchParams.get("resource") !== `acct:${username}@${host}`) return json(404, {});
      return json(200, {
        subject: `acct:${username}@${host}`,
        links: [{ rel: "self", type: "application/activity+json", href: actor }],
      });
    }
    if (url.pathname === "/.well-known/nodeinfo") {
      if (mode === "noNodeInfo") return json(200, { links: [] });
      return json(200, {
        links: [
          {
            rel: "http://nodeinfo.diaspora.software/ns/schema/2.0",
            href: `${origin}/nodeinfo/2.0`,
          },
          {
            rel: "http://nodeinfo.diaspora.software/ns/schema/2.1",
            href: `${origin}/nodeinfo/2.1`,
          },
        ],
      });
    }
    if (url.pathname === "/nodeinfo/2.1" || url.pathname === "/nodeinfo/2.0") {
      return json(200, { version: "2.1", software: { name: "outpost", version: "0.1.0" } });
    }
    if (url.pathname === `/users/${username}`) {
      if (req.headers.accept !== "application/activity+json") return json(406, {});
      const id = mode === "wrongActor" ? `${origin}/users/someone-else` : actor;
      return json(200, { id, type: "Person", inbox: `${actor}/inbox` });
    }
    return json(404, {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    server,
    port,
    origin: options.origin ?? `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A fetch that sends every request, whatever its host, to `port` on loopback. */
export function fetchVia(port: number): typeof fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    return fetch(`http://127.0.0.1:${port}${url.pathname}${url.search}`, init);
  };
}

/** A fetch for a domain that does not resolve yet. */
export const unresolvedFetch: typeof fetch = async () => {
  throw new TypeError("fetch failed", { cause: { code: "ENOTFOUND" } });
};
