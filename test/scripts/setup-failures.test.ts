/**
 * Every way `npm run setup` stops, against what wrangler really printed: it exits 1, says
 * which step failed with wrangler's own error, says what to do, and runs nothing after.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runSetup } from "../../scripts/lib/setup.mjs";
import { ACCOUNT_ID, captureIo, FRESH, replay, scratchProject, unresolvedFetch } from "./helpers";

const FLAGS = ["--origin", "https://social.example", "--username", "alice"];
const DASH = `https://dash.cloudflare.com/${ACCOUNT_ID}`;

let project: ReturnType<typeof scratchProject>;
beforeEach(() => {
  project = scratchProject();
});
afterEach(() => project.remove());

/** The fresh account's fixtures up to `upTo` (not included), then `failure`. */
function freshUntil(upTo: string, failure: string) {
  return [...FRESH.slice(0, FRESH.indexOf(upTo)), failure];
}

async function setupWith(names: string[], argv = FLAGS, answers?: string[]) {
  const io = captureIo(answers);
  const run = replay(names);
  const code = await runSetup({
    argv,
    cwd: project.dir,
    wrangler: run.wrangler,
    io: io.io,
    fetch: unresolvedFetch,
    liveCheck: { attempts: 1, delayMs: 0 },
  });
  return { code, err: io.err.join("\n"), out: io.out.join("\n"), ...run };
}

describe("setup stops, and says what to do", () => {
  it("when wrangler is not logged in", async () => {
    const r = await setupWith(["failures/whoami-not-logged-in"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("✘ Checking the Cloudflare login failed.");
    expect(r.err).toContain("npx wrangler login");
    expect(r.err).toContain("CLOUDFLARE_API_TOKEN");
    expect(r.calls).toHaveLength(1);
  });

  it("when the login is lost on the way (a token wrangler cannot use)", async () => {
    const r = await setupWith([
      "fresh/whoami",
      "failures/queue-info-not-logged-in",
      "failures/queue-info-not-logged-in-dlq",
      "fresh/d1-list",
      "fresh/kv-list",
      "fresh/r2-list",
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("✘ Looking for the queue outpost-delivery failed.");
    expect(r.err).toContain(
      "In a non-interactive environment, it's necessary to set a CLOUDFLARE_API_TOKEN",
    );
    expect(r.err).toContain("npx wrangler login");
  });

  it("when the login reaches several accounts and none is named", async () => {
    const r = await setupWith(["failures/whoami-two-accounts"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`Alice's Account: ${ACCOUNT_ID}`);
    expect(r.err).toContain("Work: 0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e");
    expect(r.err).toContain("--account-id");
  });

  it("goes on in the account named, or the one picked in a terminal", async () => {
    const lists = [
      "failures/queue-info-not-enabled",
      "failures/queue-info-not-enabled-dlq",
      "fresh/d1-list",
      "fresh/kv-list",
      "fresh/r2-list",
    ];
    const named = await setupWith(
      ["failures/whoami-two-accounts", ...lists],
      [...FLAGS, "--account-id", ACCOUNT_ID],
    );
    expect(named.calls[1]?.options.env?.CLOUDFLARE_ACCOUNT_ID).toBe(ACCOUNT_ID);
    const picked = await setupWith(["failures/whoami-two-accounts", ...lists], FLAGS, ["1"]);
    expect(picked.out).toContain("1. Alice's Account");
    expect(picked.calls[1]?.options.env?.CLOUDFLARE_ACCOUNT_ID).toBe(ACCOUNT_ID);
  });

  it("when the account cannot use Queues (looking for one)", async () => {
    const r = await setupWith([
      "fresh/whoami",
      "failures/queue-info-not-enabled",
      "failures/queue-info-not-enabled-dlq",
      "fresh/d1-list",
      "fresh/kv-list",
      "fresh/r2-list",
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("In order to use Queues, you must enable your account");
    expect(r.err).toContain(`Enable Queues at ${DASH}/workers/queues`);
    // Nothing was created: the lists come first.
    expect(r.calls.some((c) => c.args.includes("create"))).toBe(false);
  });

  it("when the plan has no Queues (creating one)", async () => {
    const r = await setupWith(
      freshUntil("fresh/queue-create-outpost-delivery", "failures/queue-create-free-plan"),
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain("✘ Creating the queue outpost-delivery failed.");
    expect(r.err).toContain("Queues are unavailable on the free plan");
    expect(r.err).toContain(`${DASH}/workers/plans`);
    expect(r.err).toContain("run `npm run setup` again: what it already created is kept");
    expect(r.left()).toEqual([]);
  });

  it("when Queues must first be enabled (creating one)", async () => {
    const r = await setupWith(
      freshUntil("fresh/queue-create-outpost-delivery", "failures/queue-create-not-enabled"),
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain("[code: 11002]");
    expect(r.err).toContain(`Enable Queues at ${DASH}/workers/queues`);
  });

  it("when R2 is not enabled (listing buckets): before creating anything", async () => {
    const r = await setupWith([
      "fresh/whoami",
      "fresh/queue-info-outpost-delivery",
      "fresh/queue-info-outpost-delivery-dlq",
      "fresh/d1-list",
      "fresh/kv-list",
      "failures/r2-list-not-enabled",
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("✘ Listing the account's R2 buckets failed.");
    expect(r.err).toContain("Please enable R2 through the Cloudflare Dashboard. [code: 10042]");
    expect(r.err).toContain(`Enable it at ${DASH}/r2/overview`);
    expect(r.calls.some((c) => c.args.includes("create"))).toBe(false);
  });

  it("when R2 is not enabled (creating the bucket)", async () => {
    const r = await setupWith(
      freshUntil("fresh/r2-create-outpost-media", "failures/r2-create-not-enabled"),
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain("✘ Creating the R2 bucket outpost-media failed.");
    expect(r.err).toContain(`Enable it at ${DASH}/r2/overview`);
    expect(existsSync(join(project.dir, "wrangler.deploy.jsonc"))).toBe(false);
  });

  for (const [kind, upTo, failure, name] of [
    ["D1 database", "fresh/d1-create-outpost", "failures/d1-create-name-taken", "outpost"],
    [
      "KV namespace",
      "fresh/kv-create-outpost-actor-cache",
      "failures/kv-create-name-taken",
      "outpost-actor-cache",
    ],
    [
      "R2 bucket",
      "fresh/r2-create-outpost-media",
      "failures/r2-create-name-taken",
      "outpost-media",
    ],
  ] as const) {
    it(`when the ${kind}'s name is taken where setup cannot see it`, async () => {
      const r = await setupWith(freshUntil(upTo, failure));
      expect(r.code).toBe(1);
      expect(r.err).toContain(`✘ Creating the ${kind} ${name} failed.`);
      expect(r.err).toContain(`The name ${name} is taken`);
      expect(r.err).toContain("another jurisdiction or another account");
    });
  }

  it("when a migration fails: nothing is deployed", async () => {
    const r = await setupWith(
      freshUntil("fresh/migrations-apply", "failures/migrations-apply-failed"),
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      "✘ Applying migration 0027_actors_search.sql to the remote database failed.",
    );
    expect(r.err).toContain("no such column: missing_column: SQLITE_ERROR [code: 7500]");
    expect(r.err).toContain("nothing was deployed");
    expect(r.err).toContain("npm run deploy");
    expect(r.calls.some((c) => c.args[0] === "deploy")).toBe(false);
    expect(r.out).not.toContain("OWNER_TOKEN ");
  });

  it("when the account has no workers.dev subdomain: the secrets are shown, as probably not set", async () => {
    const r = await setupWith(freshUntil("fresh/deploy", "failures/deploy-no-subdomain"));
    expect(r.code).toBe(1);
    expect(r.err).toContain("✘ Deploying the Worker failed.");
    expect(r.err).toContain(`Choose one at ${DASH}/workers/onboarding`);
    expect(r.out).toContain(
      "The deploy failed before wrangler said it uploaded the Worker: the owner's new secrets are\nprobably not set",
    );
    expect(r.out).toMatch(/ {4}OWNER_TOKEN {5}\S{32}\n/);
    expect(r.err).toContain("printed above, in case they were set");
  });
});

describe("a deploy that fails after wrangler uploaded the Worker with new secrets", () => {
  const FAILED = freshUntil("fresh/deploy", "failures/deploy-queue-consumer-taken");

  async function firstRun() {
    const io = captureIo();
    let carried: Record<string, string> = {};
    const run = replay(FAILED, ({ args }) => {
      const at = args.indexOf("--secrets-file");
      if (at !== -1) carried = JSON.parse(readFileSync(args[at + 1] ?? "", "utf8"));
    });
    const code = await runSetup({
      argv: FLAGS,
      cwd: project.dir,
      wrangler: run.wrangler,
      io: io.io,
      fetch: unresolvedFetch,
      liveCheck: { attempts: 1, delayMs: 0 },
    });
    return { code, io, carried, ...run };
  }

  it("shows the secrets once, says they are set, and exits with the deploy's error", async () => {
    const r = await firstRun();
    expect(r.code).toBe(1);
    expect(r.left()).toEqual([]);
    const out = r.io.out.join("\n");
    const err = r.io.err.join("\n");
    expect(out).toContain(
      "The deploy failed after wrangler uploaded the Worker with the owner's new secrets: they are\nnow set on the Worker, and setup will not show them again",
    );
    expect(Object.keys(r.carried)).toEqual(["OWNER_TOKEN", "OWNER_PASSWORD"]);
    for (const [name, value] of Object.entries(r.carried)) {
      expect(out).toContain(`    ${name.padEnd(15)} ${value}`);
      // Once, on the terminal only: not in the error, not on a command line.
      expect(r.io.all().split(value).length - 1).toBe(1);
      for (const call of r.calls) expect(call.args.join(" ")).not.toContain(value);
    }
    expect(out).not.toContain("Outpost is live");
    // The deploy's own error, and what to do about it.
    expect(err).toContain("✘ Deploying the Worker failed.");
    expect(err).toContain('Trigger configuration for "outpost" was only partially updated');
    expect(err).toContain("workers.api.error.consumer_exists [code: 11004]");
    expect(err).toContain("a queue that already has another Worker as its consumer");
    expect(err).toContain("The owner's secrets are set on the Worker now, and printed above");
    // Nothing else keeps them: the folder has the deploy configuration only.
    expect(readdirSync(project.dir).sort()).toEqual(["wrangler.deploy.jsonc", "wrangler.toml"]);
  });

  it("and the next run finds them set, so it makes none: the first run was their only showing", async () => {
    const first = await firstRun();
    const io = captureIo();
    const run = replay([
      "fresh/whoami",
      "again/queue-info-outpost-delivery",
      "again/queue-info-outpost-delivery-dlq",
      "again/d1-list",
      "again/kv-list",
      "again/r2-list",
      "failures/secret-list-after-consumer-taken",
      "again/migrations-apply",
      "again/deploy",
    ]);
    const code = await runSetup({
      argv: [],
      cwd: project.dir,
      wrangler: run.wrangler,
      io: io.io,
      fetch: unresolvedFetch,
      liveCheck: { attempts: 1, delayMs: 0 },
    });
    expect(code).toBe(0);
    expect(run.left()).toEqual([]);
    expect(run.calls.at(-1)?.args).toEqual(["deploy", "--config", "wrangler.deploy.jsonc"]);
    expect(io.out).toContain("  ✔ the owner's secrets are set");
    for (const value of Object.values(first.carried)) expect(io.all()).not.toContain(value);
  });
});
