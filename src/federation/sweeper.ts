/**
 * Periodic housekeeping (the cron trigger): queue messages that an accepted activity could
 * not send at the time are sent now, so that nothing accepted is silently dropped.
 */
import { and, asc, isNotNull, lt } from "drizzle-orm";
import { createDb } from "../storage/db";
import { inbox } from "../storage/schema";
import { sendFollowUps } from "./inbox/receive";

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

export async function handleScheduled(
  _controller: ScheduledController,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  const sent = await sweepFollowUps(env);
  if (sent > 0) console.info(`sweeper: sent the follow-ups of ${sent} activities`);
}
