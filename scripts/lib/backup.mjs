/**
 * `npm run backup`: the D1 database and the list of media files, in a dated folder
 * (`backups/2026-12-03T0650Z/`), with a note on how to restore them. The full-text search
 * indexes cannot be exported (`backup-plan.mjs`): the note says how they come back.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import {
  backupStamp,
  exportArgs,
  exportPlan,
  MEDIA_QUERY,
  mediaCsv,
  queryArgs,
  refillOf,
  restoreSearchSql,
  SCHEMA_QUERY,
} from "./backup-plan.mjs";
import { readDeployConfig } from "./config-files.mjs";
import { DEPLOY_CONFIG_FILE } from "./deploy-config.mjs";
import { failureOf, renderFailure, StepFailure } from "./failures.mjs";
import { runOrFail } from "./steps.mjs";
import { parseJsonOutput } from "./wrangler.mjs";

export const BACKUP_USAGE = `usage: npm run backup [-- --dir backups]

Writes the remote D1 database (wrangler d1 export) and the list of media files to a new
folder named for the time, under backups/ (or --dir), with a README on restoring them.`;

/**
 * Runs the backup; its exit status.
 *
 * @param {import("./backup.d.mts").BackupOptions} options
 */
export async function runBackup(options) {
  const { io } = options;
  let values;
  try {
    ({ values } = parseArgs({
      args: options.argv,
      options: { help: { type: "boolean" }, dir: { type: "string", default: "backups" } },
    }));
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : error}\n\n${BACKUP_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(BACKUP_USAGE);
    return 0;
  }
  try {
    await backup(options, values.dir ?? "backups");
    return 0;
  } catch (error) {
    if (!(error instanceof StepFailure)) throw error;
    io.err(renderFailure(error));
    return 1;
  }
}

function newFolder(cwd, dir, date) {
  const stamp = backupStamp(date);
  let folder = join(cwd, dir, stamp);
  for (let n = 2; existsSync(folder); n++) folder = join(cwd, dir, `${stamp}-${n}`);
  mkdirSync(folder, { recursive: true });
  return folder;
}

async function backup(options, dir) {
  const { cwd, io, wrangler } = options;
  const deploy = await readDeployConfig(cwd);
  const db = deploy?.d1_databases?.[0];
  if (deploy === undefined || db?.database_id === undefined) {
    throw new StepFailure({
      step: `Reading ${DEPLOY_CONFIG_FILE}`,
      reason: "notSetUp",
      hint: "There is nothing deployed from here to back up: run `npm run setup` first.",
    });
  }
  const config = DEPLOY_CONFIG_FILE;
  const binding = db.binding;
  const accountId = deploy.account_id;
  const date = (options.now ?? (() => new Date()))();
  const folder = newFolder(cwd, dir, date);
  const rel = (file) => relative(cwd, join(folder, file));
  try {
    io.out(`Backing up ${db.database_name} (${db.database_id}) to ${relative(cwd, folder)}/`);
    const objects = await query(wrangler, {
      step: "Reading the database's schema",
      args: queryArgs({ binding, config, sql: SCHEMA_QUERY }),
      accountId,
    });
    const plan = exportPlan(objects);
    io.out(
      `  ${plan.tables.length} tables; left out, as D1 cannot export them: ${[...plan.virtual.map((v) => v.name), ...plan.shadow].join(", ") || "nothing"}`,
    );
    io.out("  (the database does not answer queries while it is exported)");
    await runOrFail(wrangler, {
      step: "Exporting the database",
      args: exportArgs({ binding, config, output: rel("database.sql"), names: plan.names }),
      echo: true,
      ctx: { accountId },
    });
    let media = [];
    if (plan.tables.includes("media")) {
      media = await query(wrangler, {
        step: "Listing the media files",
        args: queryArgs({ binding, config, sql: MEDIA_QUERY }),
        accountId,
      });
    }
    writeFileSync(join(folder, "media.json"), `${JSON.stringify(media, null, 2)}\n`);
    writeFileSync(join(folder, "media.csv"), mediaCsv(media));
    writeFileSync(join(folder, "restore-search.sql"), restoreSearchSql(plan));
    writeFileSync(
      join(folder, "README.md"),
      restoreNote({ deploy, db, date, plan, mediaCount: media.length }),
    );
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
  io.out(`\n✔ Backed up to ${relative(cwd, folder)}/ (README.md there says how to restore it).`);
}

/** The rows a `d1 execute --json` query returned. */
async function query(wrangler, { step, args, accountId }) {
  const result = await runOrFail(wrangler, { step, args, ctx: { accountId } });
  const rows = parseJsonOutput(result.stdout)?.[0]?.results;
  if (!Array.isArray(rows)) throw failureOf(step, { ...result, code: 1 }, { args, accountId });
  return rows;
}

/** The README of a backup folder: what is in it, and how to restore it. */
export function restoreNote({ deploy, db, date, plan, mediaCount }) {
  const bucket = deploy.r2_buckets?.[0]?.bucket_name ?? "<bucket>";
  const refills = plan.virtual.map((v) => {
    const refill = refillOf(v);
    if (refill.kind === "rebuild") {
      return `   - \`${v.name}\` is rebuilt from its content table: \`${refill.statement}\``;
    }
    if (refill.kind === "cron") {
      return `   - \`${v.name}\` is contentless (it keeps no text to rebuild from): the Worker's cron indexes the stored notes again by itself, newest first, a batch every 15 minutes; search finds older posts as it goes.`;
    }
    return `   - \`${v.name}\` kept its text in its own tables, which could not be exported: it starts empty.`;
  });
  return `# Outpost backup, ${date.toISOString()}

Of ${deploy.vars?.PUBLIC_ORIGIN ?? "the instance"}: D1 database \`${db.database_name}\` (${db.database_id}), Cloudflare account ${deploy.account_id ?? "(from the login)"}.

- \`database.sql\`: \`wrangler d1 export --remote\` of ${plan.tables.length} tables with their rows, indexes and triggers, including \`d1_migrations\` (which migrations the database had).
  Left out, because D1 cannot export FTS5 virtual tables: the full-text search indexes ${plan.virtual.map((v) => `\`${v.name}\``).join(" and ") || "(none)"}, their shadow tables${plan.searchTriggers.length > 0 ? ` and the triggers that fill them (${plan.searchTriggers.map((t) => `\`${t.name}\``).join(", ")})` : ""}.
- \`restore-search.sql\`: makes those indexes and triggers again, after \`database.sql\`.
- \`media.json\`, \`media.csv\`: the ${mediaCount} rows of the \`media\` table, every file the instance keeps in the R2 bucket \`${bucket}\` (its key, purpose, kind, type, size, dimensions, note, time). The files stay in R2 and are not copied here; \`npx wrangler r2 object get ${bucket}/<key> --remote --file <key>\` fetches one.

Not in a backup: the owner's secrets (\`OWNER_TOKEN\`, \`OWNER_PASSWORD\`), the remote actor cache (KV, refilled as needed), the Durable Objects' state (per-host delivery state and metrics, which start afresh).

## Restoring

Into a new, empty database, never over the live one:

1. \`npx wrangler d1 create outpost-restore\`
2. \`npx wrangler d1 execute outpost-restore --remote --file ${"<this folder>"}/database.sql\`
   (tables, rows, then indexes and triggers, so no trigger runs twice on the imported rows)
3. \`npx wrangler d1 execute outpost-restore --remote --file ${"<this folder>"}/restore-search.sql\`
${refills.join("\n")}
4. In \`wrangler.deploy.jsonc\`, replace \`database_id\` with the new database's (\`npx wrangler d1 list\`), keeping \`database_name\`; then \`npm run deploy\` (it applies the migrations made since this backup).

Deploy only once step 3 has run: search reads its indexes. D1 Time Travel (\`npx wrangler d1 time-travel restore\`) is the other way back, within its 7 to 30 days.
`;
}
