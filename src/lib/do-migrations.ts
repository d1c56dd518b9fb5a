/**
 * Versioned schema migrations for a Durable Object's SQLite storage, as D1 has them: an
 * ordered list of steps, and a row that says how many have run. An object applies the steps
 * it has not run yet when it starts, each in a transaction with its version bump, so an
 * object created by any earlier release upgrades to the current schema, and a step never
 * runs twice. Steps are only ever appended; one that has shipped is never edited.
 *
 * Objects created before versioning have their tables but no version row: they run every
 * step, so the steps that existed then are written to find their work already done
 * (`CREATE TABLE IF NOT EXISTS`, `addColumnIfMissing`).
 */

/** One step: SQL run once, in order, inside a transaction. */
export type Migration = (sql: SqlStorage) => void;

const VERSION_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_version (
    k INTEGER PRIMARY KEY CHECK (k = 1),
    version INTEGER NOT NULL
  )`;

/** The number of steps this object's storage has run (0 for a new or unversioned object). */
export function schemaVersion(sql: SqlStorage): number {
  sql.exec(VERSION_TABLE);
  const row = sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray()[0];
  return row?.version ?? 0;
}

/** Runs the steps not yet run, and returns the version reached. */
export function migrate(storage: DurableObjectStorage, steps: readonly Migration[]): number {
  const { sql } = storage;
  let version = schemaVersion(sql);
  if (version > steps.length) {
    // Storage written by a newer release (a rollback): its schema is a superset, use it.
    console.warn(`storage schema ${version} is newer than this code's ${steps.length}`);
    return version;
  }
  for (const step of steps.slice(version)) {
    storage.transactionSync(() => {
      step(sql);
      sql.exec(
        "INSERT INTO schema_version (k, version) VALUES (1, ?) ON CONFLICT (k) DO UPDATE SET version = excluded.version",
        version + 1,
      );
    });
    version++;
  }
  return version;
}

/** Adds a column unless the table has it already (a step an unversioned object may have run). */
export function addColumnIfMissing(sql: SqlStorage, table: string, column: string): void {
  const name = column.trim().split(/\s+/)[0];
  const columns = sql.exec<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`);
  if (!columns.toArray().some((c) => c.name === name)) {
    sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column}`);
  }
}
