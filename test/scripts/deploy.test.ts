/**
 * `npm run deploy` (upgrades) against recorded wrangler outputs: migrations, then the deploy,
 * with the configuration derived again from wrangler.toml; refused with the development
 * origin, before setup, or when wrangler.toml has gained a resource setup has not created.
 */
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readBaseConfig, writeDeployConfig } from "../../scripts/lib/config-files.mjs";
import { runDeploy } from "../../scripts/lib/deploy.mjs";
import { deriveDeployConfig } from "../../scripts/lib/deploy-config.mjs";
import {
  ACCOUNT_ID,
  captureIo,
  fakeInstance,
  fetchVia,
  fixture,
  replay,
  scratchProject,
} from "./helpers";

const ORIGIN = "https://social.example";

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

/** The configuration setup writes for the recorded account. */
async function setUp(vars: Record<string, string> = {}) {
  const base = await readBaseConfig(project.dir);
  const d1 = JSON.parse(fixture("again/d1-list").stdout)[0];
  const kv = JSON.parse(fixture("again/kv-list").stdout)[0];
  writeDeployConfig(
    project.dir,
    deriveDeployConfig(base, {
      accountId: ACCOUNT_ID,
      origin: ORIGIN,
      username: "alice",
      vars,
      d1Ids: { outpost: d1.uuid },
      kvIds: { ACTOR_CACHE: kv.id },
    }),
  );
}

function readDeployed() {
  const text = readFileSync(join(project.dir, "wrangler.deploy.jsonc"), "utf8");
  return JSON.parse(text.replace(/^\/\/.*$/gm, ""));
}

async function deploy(names: string[]) {
  const io = captureIo();
  const run = replay(names);
  const code = await runDeploy({
    argv: [],
    cwd: project.dir,
    wrangler: run.wrangler,
    io: io.io,
    fetch: fetchVia(instance.port),
    liveCheck: { attempts: 1, delayMs: 0 },
  });
  return { code, out: io.out.join("\n"), err: io.err.join("\n"), ...run };
}

describe("npm run deploy", () => {
  it("applies the new migrations, then deploys, and checks the instance", async () => {
    await setUp();
    const r = await deploy(["upgrade/migrations-apply", "again/deploy"]);
    expect(r.code).toBe(0);
    expect(r.left()).toEqual([]);
    expect(r.calls.map((c) => c.args)).toEqual([
      ["d1", "migrations", "apply", "DB", "--remote", "--config", "wrangler.deploy.jsonc"],
      ["deploy", "--config", "wrangler.deploy.jsonc"],
    ]);
    expect(r.out).toContain("Deploying @alice@social.example");
    expect(r.out).toMatch(/✔ applied \d{4}_\w+\.sql/);
    expect(r.out).toContain("Outpost is live");
  });

  it("derives the configuration again from wrangler.toml, keeping the owner's vars", async () => {
    await setUp({ OWNER_DISPLAY_NAME: "Alice" });
    const toml = readFileSync(join(project.dir, "wrangler.toml"), "utf8");
    writeFileSync(
      join(project.dir, "wrangler.toml"),
      toml.replace('OWNER_SUMMARY = ""', 'OWNER_SUMMARY = ""\nOWNER_NEW_SETTING = "default"'),
    );
    expect((await deploy(["upgrade/migrations-apply", "again/deploy"])).code).toBe(0);
    expect(readDeployed().vars).toMatchObject({
      PUBLIC_ORIGIN: ORIGIN,
      OWNER_DISPLAY_NAME: "Alice",
      OWNER_NEW_SETTING: "default",
    });
  });

  it("refuses the development origin, and runs nothing", async () => {
    await setUp({ PUBLIC_ORIGIN: "http://localhost:8787" });
    const text = readFileSync(join(project.dir, "wrangler.deploy.jsonc"), "utf8");
    writeFileSync(
      join(project.dir, "wrangler.deploy.jsonc"),
      text.replace(`"PUBLIC_ORIGIN": "${ORIGIN}"`, '"PUBLIC_ORIGIN": "http://localhost:8787"'),
    );
    const r = await deploy([]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("PUBLIC_ORIGIN: http://localhost:8787 is a local address");
    expect(r.err).toContain("npm run setup -- --origin https://your.domain --username you");
    expect(r.calls).toEqual([]);
  });

  it("refuses a configuration whose vars do not say the origin (wrangler.toml's localhost)", async () => {
    writeFileSync(join(project.dir, "wrangler.deploy.jsonc"), '{ "name": "outpost" }\n');
    const r = await deploy([]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("PUBLIC_ORIGIN: http://localhost:8787 is a local address");
    expect(r.calls).toEqual([]);
  });

  it("asks for setup first when there is no deploy configuration", async () => {
    const r = await deploy([]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("run `npm run setup` first");
    expect(r.calls).toEqual([]);
  });

  it("leaves creating a binding wrangler.toml gained to setup", async () => {
    await setUp();
    appendFileSync(
      join(project.dir, "wrangler.toml"),
      '\n[[kv_namespaces]]\nbinding = "NEW_CACHE"\n',
    );
    const r = await deploy([]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("no id for: NEW_CACHE");
    expect(r.err).toContain("run `npm run setup`");
    expect(r.calls).toEqual([]);
  });

  it("deploys nothing when a migration fails", async () => {
    await setUp();
    const r = await deploy(["failures/migrations-apply-failed"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      "✘ Applying migration 0027_actors_search.sql to the remote database failed.",
    );
    expect(r.calls).toHaveLength(1);
  });
});
