/**
 * The `HostState` object's SQLite schema, as numbered steps (`lib/do-migrations.ts`). Append
 * a step to change it; never edit one that has shipped. Objects created before the schema
 * was versioned had run steps 1 to 3 in some measure: each is written to find its work done.
 */
import { addColumnIfMissing, type Migration } from "../lib/do-migrations";

export const HOST_STATE_MIGRATIONS: readonly Migration[] = [
  // 1. One row of host state; the deliveries parked while the host is down.
  (sql) => {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS state (
        k INTEGER PRIMARY KEY CHECK (k = 1),
        host TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        failure_days TEXT NOT NULL DEFAULT '[]',
        open_until INTEGER,
        probe_started_at INTEGER,
        unavailable INTEGER NOT NULL DEFAULT 0,
        flavour TEXT NOT NULL DEFAULT 'cavage'
      );
      INSERT OR IGNORE INTO state (k) VALUES (1);
      CREATE TABLE IF NOT EXISTS parked (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        activity_id TEXT NOT NULL,
        inbox TEXT NOT NULL,
        parked_at INTEGER NOT NULL,
        UNIQUE (activity_id, inbox)
      );
    `);
  },
  // 2. What was last mirrored into D1's `host_states`, so that only a change is written.
  (sql) => addColumnIfMissing(sql, "state", "reported_health TEXT"),
  // 3. The parked activity's outbox seq: parked deliveries drain in publication order.
  (sql) => addColumnIfMissing(sql, "parked", "activity_seq INTEGER"),
  // 4. The object sends what it holds itself: tries per held inbox, refusals kept until their
  // activity is settled, and whether the host answers too slowly for the queue consumer.
  (sql) => {
    addColumnIfMissing(sql, "parked", "attempts INTEGER NOT NULL DEFAULT 0");
    addColumnIfMissing(sql, "parked", "failed TEXT");
    addColumnIfMissing(sql, "state", "slow INTEGER NOT NULL DEFAULT 0");
  },
  // 5. The streak's leading quick failures, retried on a steady beat (policy's STEADY_TRIES).
  (sql) => addColumnIfMissing(sql, "state", "steady INTEGER NOT NULL DEFAULT 0"),
];
