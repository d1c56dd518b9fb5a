/**
 * Periodic housekeeping (the cron trigger): queue messages that an accepted activity could
 * not send at the time are sent now, and deliveries whose retry is long overdue (its
 * message lost) are enqueued again, so that nothing accepted is silently dropped. Rows kept
 * only for a while (idempotency keys, actors we no longer have to do with) are expired.
 */
import { and, asc, eq, exists, inArray, isNotNull, lt, not, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { createDb, type Db, runBatch } from "../storage/db";
import { overdueRetries } from "../storage/deliveries";
import {
  actors,
  deliveryFailures,
  follows,
  idempotencyKeys,
  inbox,
  notes,
  noteTags,
  notifications,
  reactions,
} from "../storage/schema";
import { sendFollowUps } from "./inbox/receive";
import type { DeliverMessage } from "./messages";
import { sweepUnsentFanouts } from "./outbox";
import { enqueue } from "./queue";

/** Rows younger than this may still be in the middle of sending theirs. */
const GRACE_MS = 5 * 60_000;
const PER_RUN = 100;

export async function sweepFollowUps(env: Env, now: number = Date.now()): Promise<number> {
  const db = createDb(env.DB);
  const pending = await db
    .select({ id: inbox.id, followUps: inbox.followUps })
    .from(inbox)
    .where(and(isNotNull(inbox.followUps), lt(inbox.createdAt, new Date(now - GRACE_MS))))
    .orderBy(asc(inbox.createdAt))
    .limit(PER_RUN);
  for (const row of pending) {
    if (row.followUps !== null) await sendFollowUps(env, db, row.id, row.followUps);
  }
  return pending.length;
}

/** Retries overdue by this much lost their message (queue delays are exact to seconds). */
const OVERDUE_MS = 15 * 60_000;

export async function sweepOverdueRetries(env: Env, now: number = Date.now()): Promise<number> {
  const db = createDb(env.DB);
  const overdue = await overdueRetries(db, new Date(now), OVERDUE_MS, PER_RUN);
  if (overdue.length === 0) return 0;
  const messages = overdue.map((row) => ({
    body: {
      v: 1,
      type: "deliver",
      activityId: row.activityId,
      inboxes: row.inboxes,
      attempt: row.attempts + 1,
    } satisfies DeliverMessage,
  }));
  await enqueue(env.DELIVERY_QUEUE, messages);
  // Pushed out, so the next sweep does not send them again while they are under way.
  await runBatch(
    db,
    overdue.map((row) =>
      db
        .update(deliveryFailures)
        .set({ nextAttemptAt: new Date(now + OVERDUE_MS) })
        .where(
          and(eq(deliveryFailures.activityId, row.activityId), eq(deliveryFailures.host, row.host)),
        ),
    ),
  );
  return overdue.length;
}

/**
 * How long an `Idempotency-Key` keeps returning the post it made. Mastodon keeps its keys for
 * an hour ("stored for up to 1 hour", its API docs); a day also covers a client that retries
 * after a night offline, and keeps the table to about a day of keyed posts. A key is usable
 * until the first sweep after this, up to one cron interval (15 minutes) longer.
 */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3600_000;
/** Rows deleted per statement, and statements per run: at most 1,000 rows a run. */
const EXPIRE_BATCH = 100;
const EXPIRE_BATCHES_PER_RUN = 10;

/**
 * Deletes the idempotency keys older than the TTL, a bounded batch at a time, so that one
 * run stays short whatever has piled up; what is left goes at the next run.
 */
export async function expireIdempotencyKeys(db: Db, now: number = Date.now()): Promise<number> {
  const cutoff = new Date(now - IDEMPOTENCY_KEY_TTL_MS);
  let expired = 0;
  for (let n = 0; n < EXPIRE_BATCHES_PER_RUN; n++) {
    // D1's SQLite has no DELETE ... LIMIT: the batch is chosen by a subquery. Without an
    // order, it walks the table in insertion order, where the oldest keys come first.
    const batch = db
      .select({ key: idempotencyKeys.key })
      .from(idempotencyKeys)
      .where(lt(idempotencyKeys.createdAt, cutoff))
      .limit(EXPIRE_BATCH);
    const gone = await db
      .delete(idempotencyKeys)
      .where(inArray(idempotencyKeys.key, batch))
      .returning({ key: idempotencyKeys.key });
    expired += gone.length;
    if (gone.length < EXPIRE_BATCH) break;
  }
  return expired;
}

/**
 * How long an actor we have no relationship with stays in D1 after it was last fetched. D1
 * keeps the actors that follow, are followed, wrote a stored note, reacted, notified or were
 * mentioned; others come in only through a signature check, and KV answers for them anyway.
 */
export const STALE_ACTOR_MS = 30 * 24 * 3600_000;

/** Deletes, a bounded batch a run, the actors D1 no longer needs (see `STALE_ACTOR_MS`). */
export async function expireStaleActors(db: Db, now: number = Date.now()): Promise<number> {
  const referenced = (table: SQLiteTable, column: SQLiteColumn) =>
    exists(db.select({ one: sql`1` }).from(table).where(eq(column, actors.id)));
  const stale = db
    .select({ seq: actors.seq })
    .from(actors)
    .where(
      and(
        lt(actors.fetchedAt, new Date(now - STALE_ACTOR_MS)),
        not(
          or(
            referenced(follows, follows.actor),
            referenced(follows, follows.follower),
            referenced(notes, notes.attributedTo),
            referenced(reactions, reactions.actor),
            referenced(notifications, notifications.account),
            referenced(noteTags, noteTags.href),
          ) as SQL,
        ),
      ),
    )
    .limit(EXPIRE_BATCH);
  const gone = await db
    .delete(actors)
    .where(inArray(actors.seq, stale))
    .returning({ seq: actors.seq });
  return gone.length;
}

export async function handleScheduled(
  _controller: ScheduledController,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  const now = Date.now();
  const db = createDb(env.DB);
  const [followUps, retries, fanouts, keys, staleActors] = await Promise.all([
    sweepFollowUps(env, now),
    sweepOverdueRetries(env, now),
    sweepUnsentFanouts(env, db, now, GRACE_MS),
    expireIdempotencyKeys(db, now),
    expireStaleActors(db, now),
  ]);
  if (followUps + retries + fanouts + keys + staleActors > 0) {
    console.info(
      `sweeper: follow-ups of ${followUps} activities, ${retries} overdue retries, ${fanouts} fan-outs, ${keys} expired idempotency keys, ${staleActors} stale actors`,
    );
  }
}
