/**
 * Starting the delivery of our own activities: one fan-out message per stored activity,
 * recorded as queued once the queue took it; the sweeper queues what was stored but not.
 */
import { and, asc, inArray, isNull, lt } from "drizzle-orm";
import type { Db } from "../storage/db";
import { outbox } from "../storage/schema";
import type { FanoutMessage } from "./messages";
import { enqueue } from "./queue";

/** Queues the fan-out of stored activities. A failure is logged: the sweeper retries it. */
export async function startFanouts(
  env: Env,
  db: Db,
  activityIds: readonly string[],
): Promise<boolean> {
  if (activityIds.length === 0) return true;
  try {
    await enqueue(
      env.DELIVERY_QUEUE,
      activityIds.map((activityId) => ({
        body: { v: 1, type: "fanout", activityId } satisfies FanoutMessage,
      })),
    );
  } catch (error) {
    console.error(
      `outbox: fan-out not queued yet: ${error instanceof Error ? error.message : "error"}`,
    );
    return false;
  }
  await db
    .update(outbox)
    .set({ fannedOutAt: new Date() })
    .where(inArray(outbox.id, [...activityIds]));
  return true;
}

/** Activities stored more than `graceMs` ago whose fan-out was never queued. */
export async function sweepUnsentFanouts(
  env: Env,
  db: Db,
  now: number,
  graceMs: number,
): Promise<number> {
  const unsent = await db
    .select({ id: outbox.id })
    .from(outbox)
    .where(and(isNull(outbox.fannedOutAt), lt(outbox.published, new Date(now - graceMs))))
    .orderBy(asc(outbox.published))
    .limit(100);
  await startFanouts(
    env,
    db,
    unsent.map((r) => r.id),
  );
  return unsent.length;
}
