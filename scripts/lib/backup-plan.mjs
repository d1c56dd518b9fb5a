/**
 * The backup's decisions, without I/O. `wrangler d1 export` refuses a database with FTS5
 * virtual tables (this one has two: `notes_search`, `actors_search`), so the export names
 * every other table, index and trigger with `--table`: the virtual tables, their shadow
 * tables (`*_data`, `*_idx`, `*_content`, `*_docsize`, `*_config`), SQLite's and D1's own
 * tables are left out, and so are the triggers that write into the search indexes. What the
 * restore needs to make the indexes again is written beside the dump (`restore-search.sql`).
 */

/** Everything the schema holds, with the SQL that made it. */
export const SCHEMA_QUERY =
  "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('table', 'index', 'trigger', 'view') ORDER BY rowid";

/** The rows of the media table: the files the instance keeps in R2. */
export const MEDIA_QUERY =
  "SELECT key, purpose, kind, media_type, size, width, height, note, created_at FROM media ORDER BY seq";

export const MEDIA_COLUMNS = [
  "key",
  "purpose",
  "kind",
  "media_type",
  "size",
  "width",
  "height",
  "note",
  "created_at",
];

const SHADOW_SUFFIXES = ["data", "idx", "content", "docsize", "config"];
const VIRTUAL = /^\s*CREATE\s+VIRTUAL\s+TABLE\s+/i;

function mentions(sql, name) {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\w])${escaped}([^\\w]|$)`).test(sql ?? "");
}

/**
 * What to export and what to leave out, from the rows of SCHEMA_QUERY.
 *
 * - `tables`: the real tables, exported with their rows (`sqlite_sequence` too, so that
 *   AUTOINCREMENT ids are never reused after a restore);
 * - `names`: what to pass as `--table`: those tables, and the indexes, triggers and views on
 *   them (the export keeps only the objects it is given by name);
 * - `virtual`: the virtual tables; `shadow`: their shadow tables; `searchTriggers`: the
 *   triggers that write into them. None of these is exported.
 */
export function exportPlan(objects) {
  const tables = objects.filter((o) => o.type === "table");
  const virtual = tables.filter((t) => VIRTUAL.test(t.sql ?? ""));
  const shadow = new Set(virtual.flatMap((v) => SHADOW_SUFFIXES.map((s) => `${v.name}_${s}`)));
  const left = (name) =>
    virtual.some((v) => v.name === name) ||
    shadow.has(name) ||
    name.startsWith("_cf_") ||
    (name.startsWith("sqlite_") && name !== "sqlite_sequence");
  const exported = tables.filter((t) => !left(t.name)).map((t) => t.name);
  const onExported = objects.filter(
    (o) => o.type !== "table" && o.sql && exported.includes(o.tbl_name),
  );
  const searchTriggers = onExported.filter(
    (o) => o.type === "trigger" && virtual.some((v) => mentions(o.sql, v.name)),
  );
  return {
    tables: exported,
    names: [
      ...exported,
      ...onExported.filter((o) => !searchTriggers.includes(o)).map((o) => o.name),
    ],
    virtual,
    shadow: [...shadow],
    searchTriggers,
  };
}

/** The arguments of the export: one `--table` per name. */
export function exportArgs({ binding, config, output, names }) {
  return [
    "d1",
    "export",
    binding,
    "--remote",
    "--output",
    output,
    "--skip-confirmation",
    ...names.flatMap((name) => ["--table", name]),
    "--config",
    config,
  ];
}

export function queryArgs({ binding, config, sql }) {
  return ["d1", "execute", binding, "--remote", "--json", "--command", sql, "--config", config];
}

/**
 * How an FTS5 table gets its rows back after a restore. An external-content table (such as
 * `actors_search`, `content = 'actors'`) is rebuilt from its table by the FTS5 `rebuild`
 * command. A contentless one (`notes_search`, `content = ''`) holds no text to rebuild from:
 * the Worker's cron fills it again from the notes (newest first, a batch every 15 minutes).
 */
export function refillOf(virtualTable) {
  const content = /\bcontent\s*=\s*(['"`])(.*?)\1/i.exec(virtualTable.sql ?? "")?.[2];
  const name = virtualTable.name;
  if (content === undefined) return { kind: "lost", name };
  if (content === "") return { kind: "cron", name };
  return {
    kind: "rebuild",
    name,
    statement: `INSERT INTO "${name}" ("${name}") VALUES ('rebuild');`,
  };
}

/** `restore-search.sql`: the search indexes and their triggers made again, then refilled. */
export function restoreSearchSql(plan) {
  const ifNotExists = (sql, kind) =>
    sql.replace(
      new RegExp(`^\\s*CREATE\\s+${kind}\\s+(?!IF\\s+NOT\\s+EXISTS)`, "i"),
      (m) => `${m}IF NOT EXISTS `,
    );
  const lines = [
    "-- The full-text search indexes `wrangler d1 export` cannot export, made again after the",
    "-- dump (database.sql) has been imported: run with",
    "--   npx wrangler d1 execute DB --remote --file restore-search.sql --config wrangler.deploy.jsonc",
    "",
  ];
  for (const v of plan.virtual) lines.push(`${ifNotExists(v.sql, "VIRTUAL\\s+TABLE")};`, "");
  for (const t of plan.searchTriggers) lines.push(`${ifNotExists(t.sql, "TRIGGER")};`, "");
  for (const v of plan.virtual) {
    const refill = refillOf(v);
    if (refill.kind === "rebuild")
      lines.push(`-- ${v.name}: rebuilt from its content table.`, refill.statement);
    else if (refill.kind === "cron") {
      lines.push(
        `-- ${v.name}: contentless, nothing to rebuild it from; the Worker's cron indexes the`,
        "-- stored notes again by itself (newest first, a batch every 15 minutes).",
      );
    } else
      lines.push(`-- ${v.name}: its text was in its own tables, not exported; it starts empty.`);
    lines.push("");
  }
  return lines.join("\n");
}

/** The media list as CSV (RFC 4180 quoting). */
export function mediaCsv(rows) {
  const cell = (value) => {
    const text = value === null || value === undefined ? "" : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return `${[MEDIA_COLUMNS, ...rows.map((row) => MEDIA_COLUMNS.map((c) => row[c]))]
    .map((r) => r.map(cell).join(","))
    .join("\r\n")}\r\n`;
}

/** The backup's folder name: its time, to the minute, in UTC (`2026-12-03T0650Z`). */
export function backupStamp(date) {
  return `${date.toISOString().slice(0, 13)}${date.toISOString().slice(14, 16)}Z`;
}
