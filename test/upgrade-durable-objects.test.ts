/**
 * Upgrade safety for the Durable Objects' SQLite (`lib/do-migrations.ts`), as
 * `upgrade.test.ts` for D1: an object's storage as each release left it
 * (`migrations/releases.json` records each object's schema version), with rows, then the
 * head's code starting on it. The upgrade of HostState from its first, unversioned schema is
 * `host-state-storage.test.ts`'s; here, every release's HostState, and Metrics before and
 * since it was versioned. Streaming keeps nothing in SQLite.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { releases } from "../migrations/releases.json";
import { HostState } from "../src/hosts/host-state";
import { HOST_STATE_MIGRATIONS } from "../src/hosts/schema";
import { migrate, schemaVersion } from "../src/lib/do-migrations";
import { Metrics } from "../src/metrics/metrics-object";
import type { Streaming } from "../src/streaming/object";
import { hostState } from "./support/delivery";
import { streamingStub } from "./support/sockets";

/** The tables an object's storage holds (none of SQLite's or Cloudflare's own). */
const tables = (sql: SqlStorage) =>
  sql
    .exec<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name",
    )
    .toArray()
    .map((t) => t.name);

const dropAll = (sql: SqlStorage) => {
  for (const table of tables(sql)) sql.exec(`DROP TABLE "${table}"`);
};

describe.each(releases)("a HostState object of $version", ({ version, durableObjects }) => {
  it("keeps its host record and held deliveries under the head's code", async () => {
    const host = `release-${version}.delivery.test`;
    const at = Date.now();
    await runInDurableObject(hostState(host), async (_instance: HostState, state) => {
      const { sql } = state.storage;
      dropAll(sql);
      expect(migrate(state.storage, HOST_STATE_MIGRATIONS.slice(0, durableObjects.HostState))).toBe(
        durableObjects.HostState,
      );
      // Rows in the columns every version has (step 1's).
      sql.exec(
        "UPDATE state SET host = ?, failures = 6, failure_days = ?, open_until = ?, flavour = 'rfc9421' WHERE k = 1",
        host,
        JSON.stringify([Math.floor(at / 86_400_000)]),
        at + 3_600_000,
      );
      for (const n of [1, 2, 3]) {
        sql.exec(
          "INSERT INTO parked (activity_id, inbox, parked_at) VALUES (?, ?, ?)",
          `https://outpost.test/activities/${n}`,
          `https://${host}/users/u${n}/inbox`,
          at - n * 1000,
        );
      }
      const before = sql.exec("SELECT seq, activity_id, inbox, parked_at FROM parked").toArray();
      const object = new HostState(state, env);
      expect(schemaVersion(sql)).toBe(HOST_STATE_MIGRATIONS.length);
      expect(sql.exec("SELECT seq, activity_id, inbox, parked_at FROM parked").toArray()).toEqual(
        before,
      );
      expect(await object.status()).toMatchObject({
        host,
        failures: 6,
        failureDays: 1,
        circuit: "open",
        flavour: "rfc9421",
        parked: 3,
      });
    });
  });

  it("records a version the head's steps reach", () => {
    expect(durableObjects.HostState).toBeGreaterThan(0);
    expect(durableObjects.HostState).toBeLessThanOrEqual(HOST_STATE_MIGRATIONS.length);
  });
});

describe("the Metrics object's storage", () => {
  /** Metrics' counters table as every release made it (its step 1, and before versioning). */
  const COUNTERS = "CREATE TABLE counters (key TEXT PRIMARY KEY, value REAL NOT NULL)";
  const seeded: [string, number][] = [
    ['activitypub_inbox_activities_total{result="accepted",type="Create"}', 1250],
    ['outpost_public_cache_total{result="hit"}', 98765],
    ["outpost_delivery_seconds_sum", 12.5],
  ];

  const upgradesFrom = async (name: string, build: (sql: SqlStorage) => void) => {
    const stub = env.METRICS.get(env.METRICS.idFromName(name));
    await runInDurableObject(stub, async (_instance: Metrics, state) => {
      const { sql } = state.storage;
      dropAll(sql);
      build(sql);
      for (const [key, value] of seeded) {
        sql.exec("INSERT INTO counters (key, value) VALUES (?, ?)", key, value);
      }
      const object = new Metrics(state, env);
      const version = schemaVersion(sql);
      expect(version).toBeGreaterThanOrEqual(1);
      expect((await object.snapshot()).counters).toEqual(
        seeded.map(([key, value]) => ({ key, value })).toSorted((a, b) => (a.key < b.key ? -1 : 1)),
      );
      // It counts on from what it held, and starting again runs no step twice.
      await object.add([["outpost_delivery_seconds_sum", 0.5]]);
      new Metrics(state, env);
      expect(schemaVersion(sql)).toBe(version);
      expect((await object.snapshot()).counters).toContainEqual({
        key: "outpost_delivery_seconds_sum",
        value: 13,
      });
    });
  };

  it("upgrades an object made before its schema was versioned, keeping its counters", async () => {
    await upgradesFrom("metrics-unversioned", (sql) => {
      sql.exec(COUNTERS);
      expect(schemaVersion(sql)).toBe(0);
    });
  });

  it.each(releases)("upgrades an object of $version, keeping its counters", async (release) => {
    // Metrics has had one step so far; its steps are private to its module, so a release at a
    // later version needs them exported to be built here.
    expect(release.durableObjects.Metrics).toBe(1);
    await upgradesFrom(`metrics-${release.version}`, (sql) => {
      sql.exec(COUNTERS);
      sql.exec(
        "CREATE TABLE schema_version (k INTEGER PRIMARY KEY CHECK (k = 1), version INTEGER NOT NULL)",
      );
      sql.exec("INSERT INTO schema_version (k, version) VALUES (1, 1)");
      expect(schemaVersion(sql)).toBe(1);
    });
  });
});

describe("the Streaming object's storage", () => {
  it("holds no table: its sockets' attachments are its state, so it has no schema to migrate", async () => {
    await runInDurableObject(streamingStub(), (_instance: Streaming, state) => {
      expect(tables(state.storage.sql)).toEqual([]);
    });
  });
});
