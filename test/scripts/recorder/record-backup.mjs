/**
 * The backup's recordings, from a real database: a local D1 made by the migrations, with a
 * few rows, answers the schema and media queries and makes the export (`wrangler d1 export
 * --local` runs the same dump code as D1's); the stand-in then serves those answers to the
 * `--remote` commands the backup runs. Last, the restore the backup's README describes is
 * done on a second local database and compared with the first (restore-check.json).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  exportArgs,
  exportPlan,
  MEDIA_QUERY,
  queryArgs,
  restoreSearchSql,
  SCHEMA_QUERY,
} from "../../../scripts/lib/backup-plan.mjs";
import { DEPLOY_CONFIG_FILE as CONFIG } from "../../../scripts/lib/deploy-config.mjs";
import { parseJsonOutput } from "../../../scripts/lib/wrangler.mjs";
import { ERRORS } from "./fake-api-kit.mjs";
import { FIXTURES, must, record, wanted } from "./recorder-kit.mjs";

const T = 1764744600000;
const SEED = [
  `INSERT INTO actors (id, type, preferred_username, name, domain, inbox, fetched_at, created_at) VALUES ('https://remote.example/users/bob', 'Person', 'bob', 'Bob Example', 'remote.example', 'https://remote.example/users/bob/inbox', ${T}, ${T})`,
  `INSERT INTO notes (id, attributed_to, content, visibility, published) VALUES ('https://remote.example/users/bob/statuses/1', 'https://remote.example/users/bob', '<p>Hello from the backup</p>', 'public', ${T})`,
  `INSERT INTO notes_search (rowid, body) SELECT seq, 'Hello from the backup' FROM notes`,
  `INSERT INTO media (key, purpose, kind, media_type, size, width, height, created_at) VALUES ('a1b2c3d4e5f6.png', 'attachment', 'image', 'image/png', 48213, 800, 600, ${T}), ('f6e5d4c3b2a1.webp', 'avatar', 'image', 'image/webp', 12034, 400, 400, ${T + 1000})`,
].join(";\n");

const local = (cwd) => ({ cwd, token: false });
const localQuery = (sql) => [
  "d1",
  "execute",
  "DB",
  "--local",
  "--json",
  "--command",
  sql,
  "--config",
  CONFIG,
];

async function rows(cwd, sql) {
  const result = await must(localQuery(sql), local(cwd));
  return parseJsonOutput(result.stdout)?.[0]?.results ?? [];
}

/** Records the backup's commands; `existing`: the account's resources (the database's id). */
export async function recordBackup(api, { cwd, existing }) {
  const at = { api, cwd };
  await must(["d1", "migrations", "apply", "DB", "--local", "--config", CONFIG], local(cwd));
  await must(["d1", "execute", "DB", "--local", "--command", SEED, "--config", CONFIG], local(cwd));
  const schema = await rows(cwd, SCHEMA_QUERY);
  const plan = exportPlan(schema);
  const names = plan.names.flatMap((n) => ["--table", n]);
  await must(
    ["d1", "export", "DB", "--local", "--output", "dump.sql", ...names, "--config", CONFIG],
    local(cwd),
  );
  const dump = readFileSync(join(cwd, "dump.sql"), "utf8");
  mkdirSync(join(FIXTURES, "backup"), { recursive: true });
  if (wanted("backup/database")) writeFileSync(join(FIXTURES, "backup", "database.sql"), dump);
  const media = await rows(cwd, MEDIA_QUERY);

  Object.assign(api.state, existing, {
    queries: [
      { when: "FROM sqlite_master", results: schema },
      { when: "FROM media", results: media },
    ],
    exportSql: dump,
  });
  const binding = "DB";
  await record("backup/schema", queryArgs({ binding, config: CONFIG, sql: SCHEMA_QUERY }), at);
  const output = "backups/2026-12-03T0650Z/database.sql";
  mkdirSync(join(cwd, "backups", "2026-12-03T0650Z"), { recursive: true });
  const args = exportArgs({ binding, config: CONFIG, output, names: plan.names });
  await record("backup/export", args, at);
  const sent = api.state.exports.at(-1)?.tables ?? [];
  if (JSON.stringify(sent) !== JSON.stringify(plan.names)) {
    throw new Error(`the export sent tables ${sent.join(",")}, not ${plan.names.join(",")}`);
  }
  await record("backup/media", queryArgs({ binding, config: CONFIG, sql: MEDIA_QUERY }), at);
  const uuid = existing.d1[0]?.uuid;
  api.state.failures = { [`POST /d1/database/${uuid}/export`]: ERRORS.exportVirtual };
  await record("failures/export-virtual-tables", args, at);
  api.state.failures = {};
  await checkRestore({ cwd, plan, schema, dump });
}

/** The restore the README describes, on a new local database, compared with the original. */
async function checkRestore({ cwd, plan, schema, dump }) {
  const restored = mkdtempSync(join(tmpdir(), "outpost-restore-"));
  try {
    copyFileSync(join(cwd, CONFIG), join(restored, CONFIG));
    writeFileSync(join(restored, "database.sql"), dump);
    writeFileSync(join(restored, "restore-search.sql"), restoreSearchSql(plan));
    for (const file of ["database.sql", "restore-search.sql"]) {
      await must(
        ["d1", "execute", "DB", "--local", "--file", file, "--config", CONFIG],
        local(restored),
      );
    }
    const key = (o) => `${o.type} ${o.name}: ${o.sql}`;
    const before = new Set(schema.map(key));
    const after = new Set((await rows(restored, SCHEMA_QUERY)).map(key));
    const count = async (dir, sql) => (await rows(dir, sql))[0]?.n;
    const check = {
      missing: [...before].filter((k) => !after.has(k)),
      extra: [...after].filter((k) => !before.has(k)),
      actorsSearchMatches: await count(
        restored,
        "SELECT count(*) AS n FROM actors_search WHERE actors_search MATCH 'bob'",
      ),
      notesSearchRows: await count(restored, "SELECT count(*) AS n FROM notes_search"),
      notes: await count(restored, "SELECT count(*) AS n FROM notes"),
      counts: await rows(restored, "SELECT * FROM counts ORDER BY 1"),
      countsBefore: await rows(cwd, "SELECT * FROM counts ORDER BY 1"),
    };
    if (wanted("backup/restore-check")) {
      writeFileSync(
        join(FIXTURES, "backup", "restore-check.json"),
        `${JSON.stringify(check, null, 2)}\n`,
      );
    }
    process.stdout.write(`  restore check: ${JSON.stringify(check)}\n`);
  } finally {
    rmSync(restored, { recursive: true, force: true });
  }
}
