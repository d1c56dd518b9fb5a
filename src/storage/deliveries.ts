/**
 * What became of an activity's deliveries, per host, at a few D1 writes per message rather
 * than a row per follower: a row per delivery message (its hosts, pending or done), and a
 * row per host that was not reached at the first try.
 */
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "./db";
import { type DeliveryFailureRow, deliveryBatches, deliveryFailures } from "./schema";

export interface FailureRecord {
  readonly activityId: string;
  readonly host: string;
  readonly state: DeliveryFailureRow["state"];
  readonly inboxes: readonly string[];
  readonly error?: string;
  readonly nextAttemptAt?: Date;
}

/** Statements that record (or update) failures, counting attempts. */
export function failureStatements(db: Db, records: readonly FailureRecord[], now: Date) {
  return records.map((r) =>
    db
      .insert(deliveryFailures)
      .values({
        activityId: r.activityId,
        host: r.host,
        state: r.state,
        inboxes: [...r.inboxes],
        attempts: 1,
        lastError: r.error ?? null,
        nextAttemptAt: r.nextAttemptAt ?? null,
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: [deliveryFailures.activityId, deliveryFailures.host],
        set: {
          state: r.state,
          inboxes: [...r.inboxes],
          attempts: sql`${deliveryFailures.attempts} + 1`,
          lastError: r.error ?? null,
          nextAttemptAt: r.nextAttemptAt ?? null,
          updatedAt: now,
        },
      }),
  );
}

export async function recordFailures(
  db: Db,
  records: readonly FailureRecord[],
  now: Date,
): Promise<void> {
  const [first, ...rest] = failureStatements(db, records, now);
  if (first !== undefined) await db.batch([first, ...rest]);
}

/** Hosts reached after all: their failure rows go (a done batch without one is delivered). */
export function clearFailuresStatement(db: Db, activityId: string, hosts: readonly string[]) {
  return db
    .delete(deliveryFailures)
    .where(
      and(eq(deliveryFailures.activityId, activityId), inArray(deliveryFailures.host, [...hosts])),
    );
}

export type HostDeliveryState = "delivered" | "pending" | "retrying" | "parked" | "failed";

export interface HostDelivery {
  readonly host: string;
  readonly state: HostDeliveryState;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly nextAttemptAt: Date | null;
}

/** Each host an activity was sent to, and where its delivery stands. */
export async function deliveriesOf(db: Db, activityId: string): Promise<HostDelivery[]> {
  const [batches, failures] = await db.batch([
    db.select().from(deliveryBatches).where(eq(deliveryBatches.activityId, activityId)),
    db.select().from(deliveryFailures).where(eq(deliveryFailures.activityId, activityId)),
  ]);
  const byHost = new Map<string, HostDelivery>();
  for (const batch of batches) {
    for (const host of batch.hosts) {
      byHost.set(host, {
        host,
        state: batch.state === "done" ? "delivered" : "pending",
        attempts: batch.state === "done" ? 1 : 0,
        lastError: null,
        nextAttemptAt: null,
      });
    }
  }
  for (const f of failures) {
    byHost.set(f.host, {
      host: f.host,
      state: f.state,
      attempts: f.attempts,
      lastError: f.lastError,
      nextAttemptAt: f.nextAttemptAt,
    });
  }
  return [...byHost.values()].sort((a, b) => a.host.localeCompare(b.host));
}

/** Failures whose retry is overdue by `graceMs`: their retry message may have been lost. */
export function overdueRetries(db: Db, now: Date, graceMs: number, limit: number) {
  return db
    .select()
    .from(deliveryFailures)
    .where(
      and(
        eq(deliveryFailures.state, "retrying"),
        lt(deliveryFailures.nextAttemptAt, new Date(now.getTime() - graceMs)),
      ),
    )
    .limit(limit);
}
