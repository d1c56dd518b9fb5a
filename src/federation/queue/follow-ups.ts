/**
 * The queue messages a received activity still has to send (its follow-ups: the `Accept`
 * of a Follow, the fetch of a note given by URL...), kept on its inbox row until sent.
 */
import type { AppContext } from "../../context";
import { clearFollowUps } from "../../storage/inbox";
import type { QueueMessage } from "./messages";
import { enqueue } from "./send";

/**
 * Sends a stored activity's follow-ups and clears them. A failure is logged, not thrown:
 * the activity is stored, so it is accepted, and the messages stay recorded for a repeated
 * delivery or the housekeeping to send.
 */
export async function sendFollowUps(
  ctx: Pick<AppContext, "db" | "queue">,
  activity: { id: string; followUps: readonly QueueMessage[] },
): Promise<void> {
  try {
    await enqueue(
      ctx,
      activity.followUps.map((body) => ({ body })),
    );
  } catch (error) {
    console.error(
      `inbox: follow-ups of ${activity.id} not sent yet: ${error instanceof Error ? error.message : "error"}`,
    );
    return;
  }
  await clearFollowUps(ctx.db, activity.id);
}
