/**
 * The instance's counters, in one Durable Object (`idFromName("global")`): invocations add
 * what they counted, once each; hosts report their state when it changes; `/metrics` reads.
 */
import { DurableObject } from "cloudflare:workers";

export type HostHealth = "healthy" | "backingOff" | "unavailable";

export interface MetricsSnapshot {
  readonly counters: readonly [string, number][];
  readonly hosts: Readonly<Record<HostHealth, number>>;
}

export class Metrics extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value REAL NOT NULL);
      CREATE TABLE IF NOT EXISTS hosts (host TEXT PRIMARY KEY, state TEXT NOT NULL);
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

  async setHostState(host: string, state: HostHealth): Promise<void> {
    this.sql.exec(
      "INSERT INTO hosts (host, state) VALUES (?, ?) ON CONFLICT (host) DO UPDATE SET state = excluded.state",
      host,
      state,
    );
  }

  async snapshot(): Promise<MetricsSnapshot> {
    const counters = this.sql
      .exec<{ key: string; value: number }>("SELECT key, value FROM counters ORDER BY key")
      .toArray()
      .map((r) => [r.key, r.value] as [string, number]);
    const hosts: Record<HostHealth, number> = { healthy: 0, backingOff: 0, unavailable: 0 };
    for (const row of this.sql.exec<{ state: HostHealth; n: number }>(
      "SELECT state, count(*) AS n FROM hosts GROUP BY state",
    )) {
      hosts[row.state] = row.n;
    }
    return { counters, hosts };
  }
}
