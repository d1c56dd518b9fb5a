/**
 * The instance's counters, in one Durable Object (`idFromName("global")`): invocations add
 * what they counted, once each; `/metrics` reads them.
 */
import { DurableObject } from "cloudflare:workers";

export interface MetricsSnapshot {
  readonly counters: readonly [string, number][];
}

export class Metrics extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value REAL NOT NULL);
    `);
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
      .toArray()
      .map((r) => [r.key, r.value] as [string, number]);
    return { counters };
  }
}
