/**
 * The scripts' small decisions: what wrangler.toml says to create, how a deploy
 * configuration is derived and when it is refused, origins and usernames as the app takes
 * them, and what each recorded wrangler output is read as.
 */
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { readBaseConfig, writeDeployConfig } from "../../scripts/lib/config-files.mjs";
import {
  deployProblems,
  deriveDeployConfig,
  missingIds,
  parseOrigin,
  parseUsername,
  resourcesOf,
  settingsOf,
} from "../../scripts/lib/deploy-config.mjs";
import { failureOf } from "../../scripts/lib/failures.mjs";
import {
  chooseAccount,
  missingResources,
  readInventory,
  readQueueInfo,
} from "../../scripts/lib/setup-plan.mjs";
import { failingMigration, workerUploaded } from "../../scripts/lib/steps.mjs";
import { parseWorkersDevUrl } from "../../scripts/lib/wrangler.mjs";
import { parseConfig } from "../../src/env";
import { fixture, ROOT, scratchProject } from "./helpers";

const base = await readBaseConfig(ROOT);

describe("what wrangler.toml needs", () => {
  it("names the queues (delivery, then its dead letters), database, namespace and bucket", () => {
    expect(resourcesOf(base)).toEqual({
      worker: "outpost",
      queues: ["outpost-delivery", "outpost-delivery-dlq"],
      d1: [{ binding: "DB", name: "outpost" }],
      kv: [{ binding: "ACTOR_CACHE", title: "outpost-actor-cache" }],
      r2: [{ binding: "MEDIA", name: "outpost-media" }],
    });
  });

  it("finds on the account what the recorded lists show", () => {
    const queue = new Map<string, string>();
    for (const name of ["outpost-delivery", "outpost-delivery-dlq"]) {
      if (readQueueInfo(name, fixture(`again/queue-info-${name}`)) === "found") {
        queue.set(name, name);
      }
    }
    const inventory = {
      queue,
      d1: readInventory("d1", fixture("again/d1-list").stdout),
      kv: readInventory("kv", fixture("again/kv-list").stdout),
      r2: readInventory("r2", fixture("again/r2-list").stdout),
    };
    expect([...(inventory.queue?.keys() ?? [])]).toEqual([
      "outpost-delivery",
      "outpost-delivery-dlq",
    ]);
    expect([...(inventory.r2?.keys() ?? [])]).toEqual(["outpost-media"]);
    expect(missingResources(resourcesOf(base), inventory)).toEqual([]);
    const empty = {
      queue: new Map<string, string>(),
      d1: readInventory("d1", fixture("fresh/d1-list").stdout),
      kv: readInventory("kv", fixture("fresh/kv-list").stdout),
      r2: readInventory("r2", fixture("fresh/r2-list").stdout),
    };
    expect(missingResources(resourcesOf(base), empty).map((r) => `${r.kind} ${r.name}`)).toEqual([
      "queue outpost-delivery",
      "queue outpost-delivery-dlq",
      "d1 outpost",
      "kv outpost-actor-cache",
      "r2 outpost-media",
    ]);
  });

  it("keeps a database the configuration names by id (one restored under another name)", () => {
    const d1 = new Map([["outpost-restore", "restored-id"]]);
    const missing = missingResources(
      resourcesOf(base),
      { queue: new Map(), d1, kv: new Map(), r2: new Map() },
      { d1Ids: { outpost: "restored-id" } },
    );
    expect(missing.map((r) => r.kind)).not.toContain("d1");
  });

  it("chooses the account asked for, the previous one, or the only one", () => {
    const a = { id: "a", name: "A" };
    const b = { id: "b", name: "B" };
    expect(chooseAccount({ accounts: [a] })).toEqual({ ok: true, account: a });
    expect(chooseAccount({ accounts: [a, b], previous: "b" })).toEqual({ ok: true, account: b });
    expect(chooseAccount({ accounts: [a, b], requested: "a" })).toEqual({ ok: true, account: a });
    expect(chooseAccount({ accounts: [a, b] })).toMatchObject({ ok: false, reason: "several" });
    expect(chooseAccount({ accounts: [a], requested: "c" })).toMatchObject({ reason: "notFound" });
  });
});

describe("the deploy configuration", () => {
  it("is refused while it has wrangler.toml's development origin", () => {
    const config = deriveDeployConfig(base, settingsOf(undefined));
    expect(deployProblems(config)).toEqual([
      "PUBLIC_ORIGIN: http://localhost:8787 is a local address: Cloudflare cannot serve it",
    ]);
    expect(missingIds(config)).toEqual(["DB", "ACTOR_CACHE"]);
  });

  it("is one wrangler reads without a warning", async () => {
    const { unstable_readConfig } = await import("wrangler");
    const project = scratchProject();
    try {
      const config = deriveDeployConfig(base, {
        accountId: "a".repeat(32),
        origin: "https://social.example",
        username: "alice",
        d1Ids: { outpost: "d1-id" },
        kvIds: { ACTOR_CACHE: "kv-id" },
        routes: [{ pattern: "social.example", custom_domain: true }],
      });
      const path = join(project.dir, writeDeployConfig(project.dir, config));
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      const read = unstable_readConfig({ config: path });
      expect(warn.mock.calls.filter((c) => String(c[0]).includes("Processing"))).toEqual([]);
      warn.mockRestore();
      expect(read.vars.PUBLIC_ORIGIN).toBe("https://social.example");
      expect(read.d1_databases[0]?.database_id).toBe("d1-id");
      expect(read.routes).toEqual([{ pattern: "social.example", custom_domain: true }]);
      expect(read.preview_urls).toBe(false);
    } finally {
      project.remove();
    }
  });

  it("keeps only the vars wrangler.toml still declares", () => {
    const config = deriveDeployConfig(base, {
      origin: "https://social.example",
      username: "alice",
      vars: { OWNER_SUMMARY: "Hi", REMOVED_LONG_AGO: "x" },
    });
    expect(config.vars.OWNER_SUMMARY).toBe("Hi");
    expect(config.vars).not.toHaveProperty("REMOVED_LONG_AGO");
    expect(deployProblems(config)).toEqual([]);
  });

  it("is refused with the development switches on", () => {
    const config = deriveDeployConfig(base, {
      origin: "https://social.example",
      username: "alice",
      vars: { DEV_FEDERATION: "true", DEV_RETRY_BASE_MS: "500" },
    });
    expect(deployProblems(config)).toEqual([
      "DEV_FEDERATION: development only, must be false",
      "DEV_RETRY_BASE_MS: development only, must be empty",
    ]);
  });
});

describe("origins and usernames", () => {
  const app = (origin: string, username = "alice") =>
    parseConfig({ PUBLIC_ORIGIN: origin, OWNER_USERNAME: username, OWNER_FIELDS: "[]" }).ok;

  it("are accepted only when the app accepts them (src/env.ts)", () => {
    for (const origin of [
      "https://social.example",
      "https://social.example/",
      "https://social.example:8443",
      "https://social.example/path",
      "https://social.example?x=1",
      "https://me@social.example",
      "http://social.example",
      "http://localhost:8787",
      "https://127.0.0.1",
      "ftp://social.example",
    ]) {
      const ours = parseOrigin(origin);
      if (ours.ok) expect(app(ours.origin), origin).toBe(true);
      if (!app(origin)) expect(ours.ok, origin).toBe(false);
    }
    for (const username of [
      "alice",
      "Alice_1",
      "a".repeat(30),
      "a".repeat(31),
      "al.ice",
      "social",
    ]) {
      const ours = parseUsername(username, "https://social.example");
      expect(ours.ok, username).toBe(app("https://social.example", username));
    }
    expect(parseUsername("social", "https://social").ok).toBe(app("https://social", "social"));
    // The app falls back to "owner" for an empty one; setup asks for a real one.
    expect(parseUsername("").ok).toBe(false);
  });

  it("are taken as people type them", () => {
    expect(parseOrigin("social.example")).toEqual({ ok: true, origin: "https://social.example" });
    expect(parseOrigin("https://Social.Example/")).toEqual({
      ok: true,
      origin: "https://social.example",
    });
    expect(parseUsername("@alice")).toEqual({ ok: true, username: "alice" });
    expect(parseOrigin("social")).toEqual({
      ok: false,
      reason: "social is not a public domain name",
    });
  });
});

describe("recorded wrangler outputs", () => {
  it("are read for the workers.dev address and the failing migration", () => {
    expect(parseWorkersDevUrl(fixture("fresh/deploy").stdout)).toBe(
      "https://outpost.alice.workers.dev",
    );
    expect(failingMigration(fixture("failures/migrations-apply-failed").stdout)).toBe(
      "0027_actors_search.sql",
    );
    expect(failingMigration(fixture("upgrade/migrations-apply").stdout)).toBeUndefined();
  });

  it("say whether a queue is there, looked up by name", () => {
    for (const name of ["outpost-delivery", "outpost-delivery-dlq"]) {
      expect(readQueueInfo(name, fixture(`again/queue-info-${name}`))).toBe("found");
      expect(readQueueInfo(name, fixture(`fresh/queue-info-${name}`))).toBe("missing");
    }
    // Another queue's answer is not this one's; a failure is neither.
    expect(readQueueInfo("outpost", fixture("again/queue-info-outpost-delivery"))).toBe("missing");
    expect(readQueueInfo("outpost", fixture("fresh/queue-info-outpost-delivery"))).toBeUndefined();
    expect(
      readQueueInfo("outpost-delivery", fixture("failures/queue-info-not-enabled")),
    ).toBeUndefined();
    expect(
      readQueueInfo("outpost-delivery", fixture("failures/queue-info-not-logged-in")),
    ).toBeUndefined();
  });

  it("say whether wrangler uploaded the Worker (and so set the secrets it carried)", () => {
    expect(workerUploaded(fixture("fresh/deploy").stdout)).toBe(true);
    expect(workerUploaded(fixture("failures/deploy-queue-consumer-taken").stdout)).toBe(true);
    expect(workerUploaded(fixture("failures/deploy-no-subdomain").stdout)).toBe(false);
  });

  it("are each classified by what to do", () => {
    const reasons = Object.fromEntries(
      [
        "failures/whoami-not-logged-in",
        "failures/queue-info-not-logged-in",
        "failures/queue-create-free-plan",
        "failures/queue-create-not-enabled",
        "failures/queue-info-not-enabled",
        "failures/r2-list-not-enabled",
        "failures/r2-create-not-enabled",
        "failures/d1-create-name-taken",
        "failures/kv-create-name-taken",
        "failures/r2-create-name-taken",
        "failures/deploy-no-subdomain",
        "failures/deploy-queue-consumer-taken",
        "failures/export-virtual-tables",
        "failures/migrations-apply-failed",
      ].map((name) => {
        const recorded = fixture(name);
        return [name.slice(9), failureOf("step", recorded, { args: recorded.args }).reason];
      }),
    );
    expect(reasons).toEqual({
      "whoami-not-logged-in": "notLoggedIn",
      "queue-info-not-logged-in": "notLoggedIn",
      "queue-create-free-plan": "queuesUnavailable",
      "queue-create-not-enabled": "queuesUnavailable",
      "queue-info-not-enabled": "queuesUnavailable",
      "r2-list-not-enabled": "r2NotEnabled",
      "r2-create-not-enabled": "r2NotEnabled",
      "d1-create-name-taken": "nameTaken",
      "kv-create-name-taken": "nameTaken",
      "r2-create-name-taken": "nameTaken",
      "deploy-no-subdomain": "noWorkersDevSubdomain",
      "deploy-queue-consumer-taken": "triggersFailed",
      "export-virtual-tables": "exportVirtualTables",
      // A migration's failure is an API error like any other: the step says which it is.
      "migrations-apply-failed": "unknown",
    });
  });

  it("show wrangler's error without the bug-report and log-file lines", () => {
    const recorded = fixture("failures/r2-create-not-enabled");
    const failure = failureOf("Creating the R2 bucket outpost-media", recorded, {
      args: recorded.args,
    });
    expect(failure.detail).toContain("A request to the Cloudflare API");
    expect(failure.detail).toContain(
      "Please enable R2 through the Cloudflare Dashboard. [code: 10042]",
    );
    expect(failure.detail).not.toMatch(/If you think this is a bug|Logs were written/);
    expect(failure.detail).not.toContain(String.fromCharCode(27));
  });
});
