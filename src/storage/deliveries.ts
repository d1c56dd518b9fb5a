/**
 * What became of an activity's deliveries, per host, at a few D1 writes per message rather
 * than a row per follower: a row per delivery message (its hosts, pending or done), and a
 * row per host that was not reached at the first try.
 */
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { type Db, readInSlices, runBatch, type Statement } from "./db";
import { type DeliveryFailureRow, deliveryBatches, deliveryFailures } from "./schema";

// ---------------------------------------------------------------- batches

export interface NewBatch {
  readonly id: string;
  readonly activityId: string;
  readonly hosts: readonly string[];
}

/** Bound parameters per D1 statement are limited (100): batch rows go in slices of 15. */
const BATCH_ROWS_PER_STATEMENT = 15;

/** Records the delivery messages a fan-out is about to send (a repeat changes nothing). */
export async function recordBatches(db: Db, input: { batches: readonly NewBatch[]; now: Date }) {
  const rows = input.batches.map((b) => ({
    id: b.id,
    activityId: b.activityId,
    hosts: [...b.hosts],
    state: "pending" as const,
    createdAt: input.now,
  }));
  const statements: Statement[] = [];
  for (let i = 0; i < rows.length; i += BATCH_ROWS_PER_STATEMENT) {
    statements.push(
      db
        .insert(deliveryBatches)
        .values(rows.slice(i, i + BATCH_ROWS_PER_STATEMENT))
        .onConflictDoNothing(),
    );
  }
  await runBatch(db, statements);
}

/** A batch's state (a query, to run alone or in a batch); none without an id. */
export function batchStateQuery(db: Db, batchId: string | undefined) {
  return db
    .select({ state: deliveryBatches.state })
    .from(deliveryBatches)
    .where(eq(deliveryBatches.id, batchId ?? ""));
}

export function batchDoneStatement(db: Db, done: { batchId: string; at: Date }): Statement {
  return db
    .update(deliveryBatches)
    .set({ state: "done", doneAt: done.at })
    .where(eq(deliveryBatches.id, done.batchId));
}

// ---------------------------------------------------------------- failures

export interface FailureRecord {
  readonly activityId: string;
  readonly host: string;
  readonly state: DeliveryFailureRow["state"];
  readonly inboxes: readonly string[];
  readonly error?: string;
  readonly nextAttemptAt?: Date;
}

/** Statements that record (or update) failures, counting attempts. */
export function failureStatements(
  db: Db,
  input: { records: readonly FailureRecord[]; now: Date },
): Statement[] {
  return input.records.map((r) => {
    const values = {
      state: r.state,
      inboxes: [...r.inboxes],
      lastError: r.error ?? null,
      nextAttemptAt: r.nextAttemptAt ?? null,
      updatedAt: input.now,
    };
    return db
      .insert(deliveryFailures)
      .values({ activityId: r.activityId, host: r.host, attempts: 1, ...values })
      .onConflictDoUpdate({
        target: [deliveryFailures.activityId, deliveryFailures.host],
        set: { ...values, attempts: sql`${deliveryFailures.attempts} + 1` },
      });
  });
}

/**
 * Hosts a delivery message let go of while they were still sending: recorded as retrying,
 * due now, with `error` saying so, so that the housekeeping sends them again should their end
 * never be recorded. A row already there (their object may have written it first) stays.
 */
export function awaitingStatements(
  db: Db,
  input: {
    activityId: string;
    hosts: readonly (readonly [string, readonly string[]])[];
    error: string;
    now: Date;
  },
): Statement[] {
  return input.hosts.map(([host, inboxes]) =>
    db
      .insert(deliveryFailures)
      .values({
        activityId: input.activityId,
        host,
        state: "retrying",
        inboxes: [...inboxes],
        attempts: 1,
        lastError: input.error,
        nextAttemptAt: input.now,
        updatedAt: input.now,
      })
      .onConflictDoNothing(),
  );
}

export async function recordFailures(
  db: Db,
  input: { records: readonly FailureRecord[]; now: Date },
): Promise<void> {
  await runBatch(db, failureStatements(db, input));
}

/** Hosts reached after all: their failure rows go (a done batch without one is delivered). */
export function clearFailuresStatement(
  db: Db,
  reached: { activityId: string; hosts: readonly string[] },
): Statement {
  return db
    .delete(deliveryFailures)
    .where(
      and(
        eq(deliveryFailures.activityId, reached.activityId),
        inArray(deliveryFailures.host, [...reached.hosts]),
      ),
    );
}

/**
 * A host's record written by `awaitingStatements`, if it is still that one (the same inboxes,
 * still saying `error`): a record written since by anyone else stays.
 */
export function clearAwaitingStatement(
  db: Db,
  awaited: { activityId: string; host: string; inboxes: readonly string[]; error: string },
): Statement {
  return db
    .delete(deliveryFailures)
    .where(
      and(
        eq(deliveryFailures.activityId, awaited.activityId),
        eq(deliveryFailures.host, awaited.host),
        eq(deliveryFailures.lastError, awaited.error),
        eq(deliveryFailures.inboxes, [...awaited.inboxes]),
      ),
    );
}

/** Failures whose retry is overdue (due before `before`): their retry message may be lost. */
export function overdueRetries(db: Db, query: { before: Date; limit: number }) {
  return db
    .select()
    .from(deliveryFailures)
    .where(
      and(eq(deliveryFailures.state, "retrying"), lt(deliveryFailures.nextAttemptAt, query.before)),
    )
    .limit(query.limit);
}

/** Moves the next attempt of these failures to `until` (their retry was just sent again). */
export async function postponeRetries(
  db: Db,
  input: { rows: readonly { activityId: string; host: string }[]; until: Date },
): Promise<void> {
  await runBatch(
    db,
    input.rows.map((row) =>
      db
        .update(deliveryFailures)
        .set({ nextAttemptAt: input.until })
        .where(
          and(eq(deliveryFailures.activityId, row.activityId), eq(deliveryFailures.host, row.host)),
        ),
    ),
  );
}

// ---------------------------------------------------------------- status

export type HostDeliveryState = "delivered" | "pending" | "retrying" | "parked" | "failed";

export interface HostDelivery {
  readonly host: string;
  readonly state: HostDeliveryState;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly nextAttemptAt: Date | null;
}

/**
 * Each host each activity was sent to, and where its delivery stands, for several
 * activities at once (two reads, side by side).
 */
export async function deliveriesOf(
  db: Db,
  activityIds: readonly string[],
): Promise<Map<string, HostDelivery[]>> {
  const result = new Map<string, Map<string, HostDelivery>>(
    activityIds.map((id) => [id, new Map()]),
  );
  const [batches, failures] = await Promise.all([
    readInSlices(db, activityIds, (ids) =>
      db.select().from(deliveryBatches).where(inArray(deliveryBatches.activityId, ids)),
    ),
    readInSlices(db, activityIds, (ids) =>
      db.select().from(deliveryFailures).where(inArray(deliveryFailures.activityId, ids)),
    ),
  ]);
  for (const batch of batches) {
    const done = batch.state === "done";
    for (const host of batch.hosts) {
      result.get(batch.activityId)?.set(host, {
        host,
        state: done ? "delivered" : "pending",
        attempts: done ? 1 : 0,
        lastError: null,
        nextAttemptAt: null,
      });
    }
  }
  for (const f of failures) {
    result.get(f.activityId)?.set(f.host, {
      host: f.host,
      state: f.state,
      attempts: f.attempts,
      lastError: f.lastError,
      nextAttemptAt: f.nextAttemptAt,
    });
  }
  const byHost = (a: HostDelivery, b: HostDelivery) => a.host.localeCompare(b.host);
  return new Map([...result].map(([id, hosts]) => [id, [...hosts.values()].sort(byHost)]));
}

/** Hosts in delivery batches still pending (a query, to run alone or in a batch). */
export function pendingHostsQuery(db: Db) {
  return db
    .select({ n: sql<number>`coalesce(sum(json_array_length(${deliveryBatches.hosts})), 0)` })
    .from(deliveryBatches)
    .where(eq(deliveryBatches.state, "pending"));
}

/** Hosts being retried or parked (a query, to run alone or in a batch). */
export function waitingHostsQuery(db: Db) {
  return db
    .select({ n: sql<number>`count(*)` })
    .from(deliveryFailures)
    .where(inArray(deliveryFailures.state, ["retrying", "parked"]));
}
