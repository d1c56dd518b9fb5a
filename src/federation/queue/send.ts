/** Sending queue messages: in batches of at most 100 (the platform's limit), counted. */
import type { Platform } from "../../context";
import { recorder } from "../../metrics/recorder";
import type { QueueMessage } from "./messages";

export interface Outgoing {
  readonly body: QueueMessage;
  readonly delaySeconds?: number;
}

export async function enqueue(
  ctx: Pick<Platform, "queue">,
  messages: readonly Outgoing[],
): Promise<void> {
  for (let i = 0; i < messages.length; i += 100) {
    await ctx.queue.sendBatch(messages.slice(i, i + 100));
  }
  const r = recorder();
  for (const m of messages) r.inc("outpost_queue_messages_sent_total", { type: m.body.type });
}
