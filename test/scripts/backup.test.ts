/**
 * `npm run backup` against recorded wrangler outputs, themselves recorded from a real
 * database made by the migrations: the export names every table, index and trigger but the
 * FTS5 search indexes, their shadow tables and the triggers that fill them; the folder holds
 * the dump, the media list, the statements that make the indexes again, and how to restore.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runBackup } from "../../scripts/lib/backup.mjs";
import {
  exportPlan,
  refillOf,
  restoreSearchSql,
  type SchemaObject,
} from "../../scripts/lib/backup-plan.mjs";
import { readBaseConfig, writeDeployConfig } from "../../scripts/lib/config-files.mjs";
import { deriveDeployConfig } from "../../scripts/lib/deploy-config.mjs";
import { parseJsonOutput } from "../../scripts/lib/wrangler.mjs";
import { ACCOUNT_ID, type Call, captureIo, fixture, ROOT, replay, scratchProject } from "./helpers";

const FOLDER = "backups/2026-12-03T0650Z";
const SHADOW = /_(data|idx|content|docsize|config)$/;
const schema = (
  parseJsonOutput(fixture("backup/schema").stdout) as { results: SchemaObject[] }[]
)[0]?.results as SchemaObject[];
const dump = readFileSync(join(ROOT, "test/fixtures/wrangler/backup/database.sql"), "utf8");

let project: ReturnType<typeof scratchProject>;
beforeEach(async () => {
  project = scratchProject();
  const base = await readBaseConfig(project.dir);
  const d1 = JSON.parse(fixture("again/d1-list").stdout)[0];
  writeDeployConfig(
    project.dir,
    deriveDeployConfig(base, {
      accountId: ACCOUNT_ID,
      origin: "https://social.example",
      username: "alice",
      d1Ids: { outpost: d1.uuid },
      kvIds: { ACTOR_CACHE: "kv" },
    }),
  );
});
afterEach(() => project.remove());

/** Where wrangler would download the export: written as the recorded export was. */
function download({ args }: Call) {
  const at = args.indexOf("--output");
  if (args[1] === "export" && at !== -1) {
    writeFileSync(join(project.dir, args[at + 1] ?? ""), dump);
  }
}

async function backup(names: string[]) {
  const io = captureIo();
  const run = replay(names, download);
  const code = await runBackup({
    argv: [],
    cwd: project.dir,
    wrangler: run.wrangler,
    io: io.io,
    now: () => new Date("2026-12-03T06:50:42Z"),
  });
  return { code, out: io.out.join("\n"), err: io.err.join("\n"), ...run };
}

describe("npm run backup", () => {
  it("exports every real table by name, leaving out the search indexes", async () => {
    const r = await backup(["backup/schema", "backup/export", "backup/media"]);
    expect(r.code).toBe(0);
    const exported = r.calls[1]?.args ?? [];
    expect(exported.slice(0, 7)).toEqual([
      "d1",
      "export",
      "DB",
      "--remote",
      "--output",
      `${FOLDER}/database.sql`,
      "--skip-confirmation",
    ]);
    const tables = exported.filter((_, i) => exported[i - 1] === "--table");
    for (const name of ["notes_search", "actors_search"]) {
      expect(tables.filter((t) => t.startsWith(name))).toEqual([]);
    }
    expect(tables.filter((t) => SHADOW.test(t) && t.includes("search"))).toEqual([]);
    expect(tables.filter((t) => t.startsWith("_cf_") || t === "sqlite_master")).toEqual([]);
    // The real tables, AUTOINCREMENT's counters, which migrations ran, indexes and triggers.
    expect(tables).toEqual(expect.arrayContaining(["notes", "actors", "media", "d1_migrations"]));
    expect(tables).toEqual(expect.arrayContaining(["sqlite_sequence", "notes_id_unique"]));
    expect(tables).toContain("notes_count_insert");
    expect(tables).not.toContain("actors_search_insert");
    expect(tables).not.toContain("notes_search_delete");
  });

  it("writes the dump, the media list, the search indexes' statements and a README", async () => {
    expect((await backup(["backup/schema", "backup/export", "backup/media"])).code).toBe(0);
    const folder = join(project.dir, FOLDER);
    expect(readdirSync(folder).sort()).toEqual([
      "README.md",
      "database.sql",
      "media.csv",
      "media.json",
      "restore-search.sql",
    ]);
    const media = JSON.parse(readFileSync(join(folder, "media.json"), "utf8"));
    expect(media.map((m: { key: string }) => m.key)).toEqual([
      "a1b2c3d4e5f6.png",
      "f6e5d4c3b2a1.webp",
    ]);
    expect(readFileSync(join(folder, "media.csv"), "utf8").split("\r\n").slice(0, 2)).toEqual([
      "key,purpose,kind,media_type,size,width,height,note,created_at",
      "a1b2c3d4e5f6.png,attachment,image,image/png,48213,800,600,,1764744600000",
    ]);
    const restore = readFileSync(join(folder, "restore-search.sql"), "utf8");
    expect(restore).toContain("CREATE VIRTUAL TABLE IF NOT EXISTS `notes_search` USING fts5(");
    expect(restore).toContain("CREATE VIRTUAL TABLE IF NOT EXISTS `actors_search` USING fts5(");
    expect(restore).toContain("CREATE TRIGGER IF NOT EXISTS `actors_search_insert`");
    expect(restore).toContain(`INSERT INTO "actors_search" ("actors_search") VALUES ('rebuild');`);
    expect(restore).not.toContain(`INSERT INTO "notes_search" ("notes_search")`);
    const readme = readFileSync(join(folder, "README.md"), "utf8");
    expect(readme).toContain("npx wrangler d1 execute outpost-restore --remote --file");
    expect(readme).toContain("`actors_search` is rebuilt from its content table");
    expect(readme).toContain("`notes_search` is contentless");
    expect(readme).toContain("the 2 rows of the `media` table");
  });

  it("stops, and leaves no half backup, when D1 refuses the export", async () => {
    const r = await backup(["backup/schema", "failures/export-virtual-tables"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("✘ Exporting the database failed.");
    expect(r.err).toContain("cannot export databases with Virtual Tables (fts5)");
    expect(r.err).toContain("D1 Time Travel");
    expect(existsSync(join(project.dir, FOLDER))).toBe(false);
  });

  it("asks for setup first when nothing was deployed from here", async () => {
    const { rmSync } = await import("node:fs");
    rmSync(join(project.dir, "wrangler.deploy.jsonc"));
    const r = await backup([]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("run `npm run setup` first");
  });
});

describe("the export plan, on the schema the migrations make", () => {
  const plan = exportPlan(schema);

  it("leaves out the FTS5 tables and their shadow tables", () => {
    expect(plan.virtual.map((v) => v.name).sort()).toEqual(["actors_search", "notes_search"]);
    const shadowsInSchema = schema.filter((o) => o.type === "table" && SHADOW.test(o.name));
    expect(shadowsInSchema.length).toBeGreaterThan(0);
    for (const s of shadowsInSchema) expect(plan.tables).not.toContain(s.name);
    expect(plan.searchTriggers.map((t) => t.name).sort()).toEqual([
      "actors_search_delete",
      "actors_search_insert",
      "actors_search_update",
      "notes_search_delete",
      "notes_search_tombstone",
    ]);
  });

  it("refills actors_search by FTS5's rebuild, and leaves notes_search to the cron", () => {
    const byName = Object.fromEntries(plan.virtual.map((v) => [v.name, refillOf(v)]));
    expect(byName.actors_search).toEqual({
      kind: "rebuild",
      name: "actors_search",
      statement: `INSERT INTO "actors_search" ("actors_search") VALUES ('rebuild');`,
    });
    expect(byName.notes_search).toEqual({ kind: "cron", name: "notes_search" });
    expect(restoreSearchSql(plan)).toContain("contentless");
  });

  it("made a dump that restores the same schema (recorded from a real restore)", () => {
    // test/scripts/recorder/record-backup.mjs imported database.sql and restore-search.sql
    // into a new local D1 and compared: same tables, indexes and triggers, the actors found
    // by search again, the counts not counted twice.
    const check = JSON.parse(
      readFileSync(join(ROOT, "test/fixtures/wrangler/backup/restore-check.json"), "utf8"),
    );
    expect(check.missing).toEqual([]);
    expect(check.extra).toEqual([]);
    expect(check.actorsSearchMatches).toBe(1);
    expect(check.counts).toEqual(check.countsBefore);
    expect(dump).not.toMatch(
      /CREATE VIRTUAL TABLE|INSERT INTO "(notes|actors)_search|`(notes|actors)_search/,
    );
    expect(dump).toMatch(/CREATE TRIGGER `notes_count_insert`/);
  });
});
