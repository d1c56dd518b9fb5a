/**
 * Starting the delivery of our own activities: one fan-out message per stored activity,
 * recorded as queued once the queue took it; the housekeeping queues what was stored but not.
 */
import type { AppContext } from "../context";
import { markFannedOut, unsentFanouts } from "../storage/outbox";
import { enqueue } from "./queue/send";

/** Queues the fan-out of stored activities. A failure is logged: the housekeeping retries it. */
export async function startFanouts(
  ctx: Pick<AppContext, "db" | "queue" | "now">,
  activityIds: readonly string[],
): Promise<boolean> {
  if (activityIds.length === 0) return true;
  try {
    await enqueue(
      ctx,
      activityIds.map((activityId) => ({ body: { v: 1, type: "fanout", activityId } })),
    );
  } catch (error) {
    console.error(
      `outbox: fan-out not queued yet: ${error instanceof Error ? error.message : "error"}`,
    );
    return false;
  }
  await markFannedOut(ctx.db, { ids: activityIds, at: ctx.now() });
  return true;
}

/** Queues the fan-outs of activities stored before `before` and never queued. */
export async function sweepUnsentFanouts(
  ctx: Pick<AppContext, "db" | "queue" | "now">,
  before: Date,
): Promise<number> {
  const unsent = await unsentFanouts(ctx.db, { before, limit: 100 });
  await startFanouts(
    ctx,
    unsent.map((r) => r.id),
  );
  return unsent.length;
}
