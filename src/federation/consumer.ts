/** The queue consumer: every message is acked or retried explicitly, never swallowed. */
import { parseQueueMessage } from "./messages";

export async function handleQueueBatch(
  batch: MessageBatch<unknown>,
  _env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  for (const message of batch.messages) {
    const parsed = parseQueueMessage(message.body);
    if (!parsed.ok) {
      // A malformed message cannot become valid by waiting: retrying it would only spend
      // queue operations. It is recorded (id and type, never the body) and acknowledged.
      console.warn(
        `queue ${batch.queue}: discarding message ${message.id} (${parsed.type ?? "no type"}): ${parsed.reason}`,
      );
      message.ack();
    }
  }
}
