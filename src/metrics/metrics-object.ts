/**
 * The instance's counters, in one Durable Object (`idFromName("global")`): invocations add
 * what they counted, once each; `/metrics` reads them.
 */
import { DurableObject } from "cloudflare:workers";
import { type Migration, migrate } from "../lib/do-migrations";

/** The object's SQLite schema, as numbered steps (`lib/do-migrations.ts`); append only. */
const METRICS_MIGRATIONS: readonly Migration[] = [
  // 1. Counters by series key (`name{labels}`).
  (sql) =>
    sql.exec("CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value REAL NOT NULL)"),
];

export interface MetricsSnapshot {
  /** Every series (`name{labels}`) with its value. */
  readonly counters: readonly { readonly key: string; readonly value: number }[];
}

export class Metrics extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrate(ctx.storage, METRICS_MIGRATIONS);
  }

  async add(entries: readonly [string, number][]): Promise<void> {
    for (const [key, value] of entries) {
      this.sql.exec(
        "INSERT INTO counters (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value",
        key,
        value,
      );
    }
  }

  async snapshot(): Promise<MetricsSnapshot> {
    const counters = this.sql
      .exec<{ key: string; value: number }>("SELECT key, value FROM counters ORDER BY key")
      .toArray();
    return { counters };
  }
}
