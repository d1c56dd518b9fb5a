/**
 * The host object's storage: it upgrades from the first, unversioned schema and from the
 * release before versioning, each step once and in order; and the object still answers a
 * Worker of the previous release, during a deploy.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { HostState } from "../src/hosts/host-state";
import { HOST_STATE_MIGRATIONS } from "../src/hosts/schema";
import { migrate, schemaVersion } from "../src/lib/do-migrations";
import { hostState } from "./support/delivery";
import { OWNER } from "./support/remote";

describe("the host object's storage", () => {
  /** The tables as the first release made them, with a row parked before `activity_seq`. */
  const firstSchema = (sql: SqlStorage) => {
    sql.exec(
      "DROP TABLE IF EXISTS state; DROP TABLE IF EXISTS parked; DROP TABLE IF EXISTS schema_version",
    );
    HOST_STATE_MIGRATIONS[0]?.(sql);
    sql.exec(
      "UPDATE state SET host = 'old.delivery.test', failures = 5, open_until = ? WHERE k = 1",
      Date.now() + 3600_000,
    );
    sql.exec(
      "INSERT INTO parked (activity_id, inbox, parked_at) VALUES ('https://o.test/a/old', 'https://old.delivery.test/inbox', 1)",
    );
  };
  const columns = (sql: SqlStorage, table: string) =>
    sql
      .exec<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`)
      .toArray()
      .map((c) => c.name);

  it("upgrades an object made with the first, unversioned schema, keeping its state and parked rows", async () => {
    const stub = hostState("old.delivery.test");
    await runInDurableObject(stub, async (_instance: HostState, state) => {
      const { sql } = state.storage;
      firstSchema(sql);
      expect(schemaVersion(sql)).toBe(0);
      expect(columns(sql, "parked")).not.toContain("activity_seq");
      const object = new HostState(state, env);
      expect(schemaVersion(sql)).toBe(HOST_STATE_MIGRATIONS.length);
      expect(columns(sql, "state")).toContain("reported_health");
      expect(columns(sql, "parked")).toContain("activity_seq");
      expect(columns(sql, "parked")).toEqual(expect.arrayContaining(["attempts", "failed"]));
      expect(columns(sql, "state")).toContain("slow");
      expect(await object.status()).toMatchObject({ failures: 5, circuit: "open", parked: 1 });
      // A new row keeps its order; the old one, parked before the order was kept, goes first.
      const admitted = await object.admit({
        host: "old.delivery.test",
        activityId: "https://o.test/a/new",
        activitySeq: 7,
        inboxes: ["https://old.delivery.test/inbox"],
      });
      expect(admitted.send).toBe(false);
      const rows = sql
        .exec<{ activity_id: string; activity_seq: number | null }>(
          "SELECT activity_id, activity_seq FROM parked ORDER BY coalesce(activity_seq, 0), seq",
        )
        .toArray();
      expect(rows.map((r) => [r.activity_id, r.activity_seq])).toEqual([
        ["https://o.test/a/old", null],
        ["https://o.test/a/new", 7],
      ]);
    });
  });

  it("adopts an object of the release before versioning, whose tables have every column", async () => {
    const stub = hostState("unversioned.delivery.test");
    await runInDurableObject(stub, async (_instance: HostState, state) => {
      const { sql } = state.storage;
      firstSchema(sql);
      sql.exec("ALTER TABLE state ADD COLUMN reported_health TEXT");
      sql.exec("ALTER TABLE parked ADD COLUMN activity_seq INTEGER");
      sql.exec("UPDATE state SET reported_health = 'backingOff|cavage|1' WHERE k = 1");
      const object = new HostState(state, env);
      expect(schemaVersion(sql)).toBe(HOST_STATE_MIGRATIONS.length);
      expect(columns(sql, "parked").filter((c) => c === "activity_seq")).toHaveLength(1);
      expect(await object.status()).toMatchObject({ failures: 5, circuit: "open", parked: 1 });
    });
  });

  it("answers a Worker of the previous release through its report(), in the shape it reads", async () => {
    const host = "legacy.delivery.test";
    const answer = await hostState(host).report({
      host,
      activityId: `${OWNER}/statuses/legacy/activity`,
      results: [{ inbox: `https://${host}/inbox`, kind: "hostFailure", error: "timeout" }],
    });
    // It parks what failed (the old consumer records it so): this object sends it from now on.
    expect(answer.parked).toEqual([`https://${host}/inbox`]);
    expect(answer.failures).toBe(1);
    expect(answer.retry).toEqual([]);
    expect(await hostState(host).status()).toMatchObject({ parked: 1, failures: 1 });
  });

  it("runs each step once, in order, from the version an object is at", async () => {
    await runInDurableObject(hostState("steps.delivery.test"), (_instance: HostState, state) => {
      const { sql } = state.storage;
      firstSchema(sql);
      const ran: number[] = [];
      const steps = HOST_STATE_MIGRATIONS.map((step, i) => (s: SqlStorage) => {
        ran.push(i + 1);
        step(s);
      });
      expect(migrate(state.storage, steps.slice(0, 1))).toBe(1);
      expect(migrate(state.storage, steps)).toBe(steps.length);
      expect(migrate(state.storage, steps)).toBe(steps.length);
      expect(ran).toEqual([1, 2, 3, 4, 5]);
      // A step that fails leaves the version where it was, and the object as it was.
      const broken = [...steps, (s: SqlStorage) => s.exec("ALTER TABLE nowhere ADD COLUMN x")];
      expect(() => migrate(state.storage, broken)).toThrow();
      expect(schemaVersion(sql)).toBe(steps.length);
    });
  });
});
