/**
 * `npm run setup` against recorded wrangler outputs: a fresh account (everything created,
 * secrets generated, printed once and passed to the first deploy in a file that is gone
 * after), the same account again (nothing created, no new secrets, the same configuration),
 * how the origin and username are taken, and the live checks it ends with.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runSetup } from "../../scripts/lib/setup.mjs";
import type { Wrangler } from "../../scripts/lib/wrangler.mjs";
import {
  ACCOUNT_ID,
  AGAIN,
  type Call,
  captureIo,
  FRESH,
  fakeInstance,
  fetchVia,
  fixture,
  replay,
  scratchProject,
  unresolvedFetch,
} from "./helpers";

const ORIGIN = "https://social.example";
const FLAGS = ["--origin", ORIGIN, "--username", "alice"];

let project: ReturnType<typeof scratchProject>;
let instance: Awaited<ReturnType<typeof fakeInstance>>;
beforeEach(async () => {
  project = scratchProject();
  instance = await fakeInstance({ origin: ORIGIN, username: "alice" });
});
afterEach(async () => {
  project.remove();
  await instance.close();
});

function setup(wrangler: ReturnType<typeof replay>["wrangler"], io = captureIo(), argv = FLAGS) {
  return runSetup({
    argv,
    cwd: project.dir,
    wrangler,
    io: io.io,
    fetch: fetchVia(instance.port),
    liveCheck: { attempts: 1, delayMs: 0 },
    generateSecret: (() => {
      let n = 0;
      return () => `generated-secret-${++n}-${"x".repeat(20)}`;
    })(),
  });
}

function deployConfig() {
  const text = readFileSync(join(project.dir, "wrangler.deploy.jsonc"), "utf8");
  return { text, json: JSON.parse(text.replace(/^\/\/.*$/gm, "")) };
}

describe("a fresh account", () => {
  it("creates the queues, database, namespace and bucket, then migrates and deploys", async () => {
    const io = captureIo();
    const secretsSeen: Record<string, string>[] = [];
    let secretsFile = "";
    const { wrangler, calls, left } = replay(FRESH, ({ args }) => {
      const at = args.indexOf("--secrets-file");
      if (at === -1) return;
      secretsFile = args[at + 1] ?? "";
      secretsSeen.push(JSON.parse(readFileSync(secretsFile, "utf8")));
    });

    expect(await setup(wrangler, io)).toBe(0);
    expect(left()).toEqual([]);
    expect(calls.map((c) => c.args.slice(0, 3).join(" "))).toEqual([
      "whoami --json",
      "queues info outpost-delivery",
      "queues info outpost-delivery-dlq",
      "d1 list --json",
      "kv namespace list",
      "r2 bucket list",
      "queues create outpost-delivery",
      "queues create outpost-delivery-dlq",
      "d1 create outpost",
      "kv namespace create",
      "r2 bucket create",
      "d1 list --json",
      "kv namespace list",
      "secret list --config",
      "d1 migrations apply",
      "deploy --config wrangler.deploy.jsonc",
    ]);
    // Every command after the login runs in the chosen account.
    for (const call of calls.slice(1))
      expect(call.options.env?.CLOUDFLARE_ACCOUNT_ID).toBe(ACCOUNT_ID);
    // The long steps show wrangler's own progress.
    expect(calls.filter((c) => c.options.echo).map((c) => c.args[0])).toEqual(["deploy"]);
    expect(io.out.join("\n")).toMatch(
      /✔ applied \d+ migrations, 0000_initial_schema\.sql to \d{4}_\w+\.sql/,
    );

    // The secrets went to the first deploy in a file, which is gone now.
    expect(secretsSeen).toEqual([
      {
        OWNER_TOKEN: `generated-secret-1-${"x".repeat(20)}`,
        OWNER_PASSWORD: `generated-secret-2-${"x".repeat(20)}`,
      },
    ]);
    expect(existsSync(secretsFile)).toBe(false);
    // Printed once each, and never on a command line.
    for (const value of Object.values(secretsSeen[0] ?? {})) {
      expect(io.all().split(value).length - 1).toBe(1);
      for (const call of calls) expect(call.args.join(" ")).not.toContain(value);
    }
  });

  it("writes the deploy configuration: wrangler.toml with the origin, username, account and ids", async () => {
    const { wrangler } = replay(FRESH);
    expect(await setup(wrangler)).toBe(0);
    const { json, text } = deployConfig();
    const d1 = JSON.parse(fixture("fresh/d1-list-after").stdout)[0];
    const kv = JSON.parse(fixture("fresh/kv-list-after").stdout)[0];
    expect(json.account_id).toBe(ACCOUNT_ID);
    expect(json.vars.PUBLIC_ORIGIN).toBe(ORIGIN);
    expect(json.vars.OWNER_USERNAME).toBe("alice");
    expect(json.vars.DEV_FEDERATION).toBe("false");
    expect(json.d1_databases[0]).toMatchObject({
      binding: "DB",
      database_name: "outpost",
      database_id: d1.uuid,
      migrations_dir: "migrations",
    });
    expect(json.kv_namespaces[0]).toEqual({ binding: "ACTOR_CACHE", id: kv.id });
    expect(json.main).toBe("src/index.ts");
    expect(json.queues.consumers[0].dead_letter_queue).toBe("outpost-delivery-dlq");
    expect(text).toMatch(/^\/\/ Written by `npm run setup`/);
  });

  it("ends with the live checks, and says the instance is live", async () => {
    const io = captureIo();
    expect(await setup(replay(FRESH).wrangler, io)).toBe(0);
    const out = io.out.join("\n");
    expect(out).toContain(
      "✔ WebFinger  acct:alice@social.example → https://social.example/users/alice",
    );
    expect(out).toContain("✔ NodeInfo   outpost 0.1.0");
    expect(out).toContain("✔ Actor      Person https://social.example/users/alice");
    expect(out).toContain("Outpost is live: follow @alice@social.example");
  });
});

describe("the same account again", () => {
  it("creates nothing, sets no secret, keeps the configuration and redeploys", async () => {
    expect(await setup(replay(FRESH).wrangler)).toBe(0);
    const first = deployConfig().text;
    const io = captureIo();
    const { wrangler, calls, left } = replay(AGAIN);

    // No flags: the origin and username are the first run's.
    expect(await setup(wrangler, io, [])).toBe(0);
    expect(left()).toEqual([]);
    expect(calls.some((c: Call) => c.args.includes("create"))).toBe(false);
    expect(calls.at(-1)?.args).toEqual(["deploy", "--config", "wrangler.deploy.jsonc"]);
    expect(deployConfig().text).toBe(first);
    expect(io.all()).not.toContain("generated-secret");
    expect(io.out.join("\n")).toContain("✔ the owner's secrets are set");
    expect(io.out.join("\n")).toContain("✔ no migration to apply");
  });

  it("keeps what the owner changed in the deploy configuration", async () => {
    expect(await setup(replay(FRESH).wrangler)).toBe(0);
    const { text } = deployConfig();
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      join(project.dir, "wrangler.deploy.jsonc"),
      text.replace('"OWNER_DISPLAY_NAME": "Outpost owner"', '"OWNER_DISPLAY_NAME": "Alice"'),
    );
    expect(await setup(replay(AGAIN).wrangler, captureIo(), [])).toBe(0);
    expect(deployConfig().json.vars.OWNER_DISPLAY_NAME).toBe("Alice");
  });
});

describe("the origin and the username", () => {
  it("are asked in a terminal, and taken as typed", async () => {
    const io = captureIo(["social.example/oops", "social.example", "@alice"]);
    expect(await setup(replay(FRESH).wrangler, io, [])).toBe(0);
    expect(io.asked).toHaveLength(3);
    expect(io.out).toContain(
      "  social.example/oops is not a bare origin such as https://social.example",
    );
    expect(deployConfig().json.vars).toMatchObject({
      PUBLIC_ORIGIN: ORIGIN,
      OWNER_USERNAME: "alice",
    });
  });

  it("are required as flags without a terminal, before anything runs", async () => {
    const io = captureIo();
    const { wrangler, calls } = replay([]);
    expect(await setup(wrangler, io, ["--username", "alice"])).toBe(2);
    expect(io.err.join("\n")).toContain("--origin is needed (no terminal to ask in)");
    expect(calls).toEqual([]);
  });

  it("refuse the development origin and usernames the app refuses", async () => {
    for (const [argv, message] of [
      [["--origin", "http://localhost:8787", "--username", "alice"], "is a local address"],
      [["--origin", "http://social.example", "--username", "alice"], "needs https"],
      [["--origin", ORIGIN, "--username", "alice.smith"], "letters, digits or underscores"],
    ] as const) {
      const io = captureIo();
      const { wrangler, calls } = replay([]);
      expect(await setup(wrangler, io, [...argv])).toBe(2);
      expect(io.err.join("\n")).toContain(message);
      expect(calls).toEqual([]);
    }
  });
});

describe("the identity already set up", () => {
  async function setUpOnce() {
    expect(await setup(replay(FRESH).wrangler)).toBe(0);
    return deployConfig().text;
  }

  for (const [what, argv, message] of [
    [
      "origin",
      ["--origin", "https://other.example", "--username", "alice"],
      "--origin: this instance is set up (wrangler.deploy.jsonc) as https://social.example/users/alice, and this would change the origin from https://social.example to https://other.example.",
    ],
    [
      "username",
      ["--origin", ORIGIN, "--username", "bob"],
      "--username: this instance is set up (wrangler.deploy.jsonc) as https://social.example/users/alice, and this would change the username from alice to bob.",
    ],
  ] as const) {
    it(`is not moved to another ${what} without --change-identity, before anything runs`, async () => {
      const first = await setUpOnce();
      const io = captureIo();
      const { wrangler, calls } = replay([]);
      expect(await setup(wrangler, io, [...argv])).toBe(2);
      expect(calls).toEqual([]);
      const err = io.err.join("\n");
      expect(err).toContain(message);
      expect(err).toContain("its followers follow that address");
      expect(err).toContain("the followers would stay with the old one");
      expect(err).toContain("run setup again with --change-identity");
      expect(deployConfig().text).toBe(first);
    });
  }

  it("is moved with --change-identity, saying what that means", async () => {
    await setUpOnce();
    const io = captureIo();
    const { wrangler, left } = replay(AGAIN);
    const argv = ["--origin", ORIGIN, "--username", "bob", "--change-identity"];
    expect(await setup(wrangler, io, argv)).toBe(0);
    expect(left()).toEqual([]);
    expect(io.out.join("\n")).toContain(
      "Note (--change-identity): changing the username from alice to bob. To other servers https://social.example/users/bob is a new account; the followers stay with https://social.example/users/alice.",
    );
    expect(deployConfig().json.vars.OWNER_USERNAME).toBe("bob");
  });

  it("is kept when the flags name it again (as typed, or normalised)", async () => {
    await setUpOnce();
    const argv = ["--origin", "social.example", "--username", "@alice"];
    expect(await setup(replay(AGAIN).wrangler, captureIo(), argv)).toBe(0);
  });
});

describe("the queues", () => {
  it("are looked up by name, not found on a page of `queues list`", async () => {
    const { wrangler, calls } = replay(FRESH);
    expect(await setup(wrangler)).toBe(0);
    expect(calls.some((c) => c.args[0] === "queues" && c.args[1] === "list")).toBe(false);
    // Not found: created.
    expect(calls.filter((c) => c.args[0] === "queues").map((c) => c.args.join(" "))).toEqual([
      "queues info outpost-delivery",
      "queues info outpost-delivery-dlq",
      "queues create outpost-delivery",
      "queues create outpost-delivery-dlq",
    ]);
  });

  it("are found on an account with more queues than `queues list` shows on a page", async () => {
    // `queues list` prints one page of the API's list (`--page` for the others): the first page
    // of an account with many queues, which does not have Outpost's (constructed, in
    // wrangler's table layout).
    const row = (name: string) =>
      `│ ${"0".repeat(32)} │ ${name.padEnd(20)} │ 2026-01-01T00:00:00.000Z │ 2026-01-01T00:00:00.000Z │ 1         │ 1         │`;
    const firstPage = [
      "┌",
      "│ id                               │ name                 │ created_on               │ modified_on              │ producers │ consumers │",
      ...Array.from({ length: 20 }, (_, i) => row(`other-queue-${i + 1}`)),
      "└",
    ].join("\n");
    // Each command answered by its recorded output, whatever the order; any other fails.
    const recorded = new Map(AGAIN.map((name) => [fixture(name).args.join(" "), fixture(name)]));
    recorded.set("queues list", {
      args: ["queues", "list"],
      code: 0,
      stdout: firstPage,
      stderr: "",
    });
    const ran: string[] = [];
    const wrangler: Wrangler = async (args) => {
      ran.push(args.join(" "));
      const answer = recorded.get(args.join(" "));
      if (answer === undefined) throw new Error(`unexpected: wrangler ${args.join(" ")}`);
      return answer;
    };
    const io = captureIo();
    expect(await setup(wrangler, io)).toBe(0);
    expect(ran.filter((c) => c.startsWith("queues"))).toEqual([
      "queues info outpost-delivery",
      "queues info outpost-delivery-dlq",
    ]);
    expect(io.out).toContain("  ✔ queue outpost-delivery");
  });

  it("found by name are not created again", async () => {
    expect(await setup(replay(FRESH).wrangler)).toBe(0);
    const io = captureIo();
    const { wrangler, calls } = replay(AGAIN);
    expect(await setup(wrangler, io, [])).toBe(0);
    expect(calls.filter((c) => c.args[0] === "queues").map((c) => c.args.join(" "))).toEqual([
      "queues info outpost-delivery",
      "queues info outpost-delivery-dlq",
    ]);
    expect(io.out).toContain("  ✔ queue outpost-delivery");
    expect(io.out).toContain("  ✔ queue outpost-delivery-dlq");
  });
});

describe("when the domain does not answer yet", () => {
  it("deploys, then says how to point the domain at the Worker", async () => {
    const io = captureIo();
    const code = await runSetup({
      argv: FLAGS,
      cwd: project.dir,
      wrangler: replay(FRESH).wrangler,
      io: io.io,
      fetch: unresolvedFetch,
      liveCheck: { attempts: 2, delayMs: 0 },
    });
    expect(code).toBe(0);
    const out = io.out.join("\n");
    expect(out).toContain("✘ WebFinger  no answer (ENOTFOUND)");
    expect(out).toContain("https://social.example does not answer yet.");
    expect(out).toContain("Custom domain → social.example");
    expect(out).toContain('"routes": [{ "pattern": "social.example", "custom_domain": true }]');
    expect(out).toContain("DNS");
    // The workers.dev address wrangler printed, and why it is not the instance's.
    expect(out).toContain("the Worker answers at https://outpost.alice.workers.dev");
    expect(out).toContain("--origin https://outpost.alice.workers.dev");
  });

  it("tells a domain that answers something else from one that does not answer", async () => {
    await instance.close();
    instance = await fakeInstance({ origin: ORIGIN, username: "alice", mode: "missing" });
    const io = captureIo();
    expect(await setup(replay(FRESH).wrangler, io)).toBe(0);
    expect(io.out.join("\n")).toContain(
      "https://social.example answers, but not as this Outpost yet (HTTP 404)",
    );
  });
});
