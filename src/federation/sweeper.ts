/**
 * Periodic housekeeping (the cron trigger): queue messages that an accepted activity could
 * not send at the time are sent now, and deliveries whose retry is long overdue (its
 * message lost) are enqueued again, so that nothing accepted is silently dropped.
 */
import { and, asc, eq, isNotNull, lt } from "drizzle-orm";
import { createDb, runBatch } from "../storage/db";
import { overdueRetries } from "../storage/deliveries";
import { deliveryFailures, inbox } from "../storage/schema";
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

export async function handleScheduled(
  _controller: ScheduledController,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  const now = Date.now();
  const [followUps, retries, fanouts] = await Promise.all([
    sweepFollowUps(env, now),
    sweepOverdueRetries(env, now),
    sweepUnsentFanouts(env, createDb(env.DB), now, GRACE_MS),
  ]);
  if (followUps + retries + fanouts > 0) {
    console.info(
      `sweeper: follow-ups of ${followUps} activities, ${retries} overdue retries, ${fanouts} fan-outs`,
    );
  }
}
