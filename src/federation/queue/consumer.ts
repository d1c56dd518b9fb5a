/**
 * The queue consumer. Every message is acked, retried with a delay, or (after its retries)
 * handed to the dead-letter queue, whose consumer records it: nothing is dropped silently.
 */
import { hostOf } from "../../activitypub/parse";
import { type AppContext, createContext } from "../../context";
import { parseConfig } from "../../env";
import { inBackground } from "../../metrics/recorder";
import { type FailureRecord, recordFailures } from "../../storage/deliveries";
import { markProcessed } from "../../storage/inbox";
import type { Background } from "../../streaming/stream";
import { deliver } from "../delivery/deliver";
import { fanOut } from "../delivery/fanout";
import { backoffSeconds } from "../delivery/policy";
import { giveUpImport, importFollows } from "../import-follows";
import { verifyProfileLinks } from "../profile-links";
import { fetchObject } from "./fetch-object";
import { parseQueueMessage, type QueueMessage } from "./messages";

export const DEAD_LETTER_QUEUE = "outpost-delivery-dlq";

/** How long a misconfigured instance waits before it tries its messages again. */
const MISCONFIGURED_DELAY_SECONDS = 300;

export async function handleQueueBatch(
  batch: MessageBatch<unknown>,
  env: Env,
  execution: Pick<ExecutionContext, "waitUntil">,
): Promise<void> {
  const parsedConfig = parseConfig(env);
  if (!parsedConfig.ok) {
    console.error(`queue ${batch.queue}: configuration error, retrying later`);
    batch.retryAll({ delaySeconds: MISCONFIGURED_DELAY_SECONDS });
    return;
  }
  const ctx = {
    ...createContext(env, parsedConfig.config),
    waitUntil: inBackground(execution),
  };
  const deadLetters = batch.queue === DEAD_LETTER_QUEUE;
  await Promise.all(
    batch.messages.map(async (message) => {
      const parsed = parseQueueMessage(message.body);
      if (!parsed.ok) {
        // A malformed message cannot become valid by waiting: retrying it would only spend
        // queue operations. It is recorded (id and type, never the body) and acknowledged.
        console.warn(
          `queue ${batch.queue}: discarding message ${message.id} (${parsed.type ?? "no type"}): ${parsed.reason}`,
        );
        message.ack();
        return;
      }
      if (deadLetters) {
        await recordDeadLetter(ctx, parsed.message, message.attempts);
        message.ack();
        return;
      }
      let retry: boolean;
      try {
        retry = (await handle(ctx, parsed.message)) === "retry";
      } catch (error) {
        // Unexpected: retried later, and after the queue's retries, the dead-letter queue.
        console.error(
          `queue: ${parsed.message.type} ${message.id} failed: ${error instanceof Error ? error.message : "unknown error"}`,
        );
        retry = true;
      }
      if (!retry) message.ack();
      else message.retry({ delaySeconds: retryDelay(ctx, message.attempts) });
    }),
  );
}

async function handle(
  ctx: AppContext & Background,
  message: QueueMessage,
): Promise<"done" | "retry"> {
  switch (message.type) {
    case "fanout":
      await fanOut(ctx, message);
      return "done";
    case "deliver":
      await deliver(ctx, message);
      return "done";
    case "fetchObject":
      return fetchObject(ctx, message);
    case "importFollows":
      await importFollows(ctx, message);
      return "done";
    case "verifyLinks":
      // A page that does not answer is not retried here: the cron asks again the next day.
      await verifyProfileLinks(ctx);
      return "done";
  }
}

/** A message's next try, on the configured base (shortened on a development instance). */
const retryDelay = (ctx: AppContext, attempts: number) =>
  backoffSeconds(attempts, { baseMs: ctx.config.retryBaseMs });

/** A message that used up its retries: recorded, and what waited on it is released. */
async function recordDeadLetter(
  ctx: AppContext,
  message: QueueMessage,
  attempts: number,
): Promise<void> {
  const what =
    message.type === "fetchObject"
      ? message.id
      : message.type === "importFollows"
        ? `import ${message.importId}`
        : message.type === "verifyLinks"
          ? "the profile links"
          : message.activityId;
  console.error(`dead letter: ${message.type} ${what} gave up after ${attempts} attempts`);
  const now = ctx.now();
  let records: FailureRecord[] = [];
  switch (message.type) {
    case "fetchObject":
      await markProcessed(ctx.db, { id: message.inboxId, at: now });
      return;
    case "importFollows":
      // The import says it stopped; the accounts it had left stay stored, unfollowed.
      await giveUpImport(ctx, message, attempts);
      return;
    case "verifyLinks":
      // Nothing waits on it: the cron asks again for the links still unchecked.
      return;
    case "fanout":
      // The recipients could not be resolved: the status of the post says so.
      records = [
        {
          activityId: message.activityId,
          host: "(fan-out)",
          state: "failed",
          inboxes: [],
          error: `recipients not resolved after ${attempts} attempts`,
        },
      ];
      break;
    case "deliver":
      records = [...Map.groupBy(message.inboxes, hostOf)].map(([host, inboxes]) => ({
        activityId: message.activityId,
        host,
        state: "failed",
        inboxes,
        error: `dead-lettered after ${attempts} attempts`,
      }));
      break;
  }
  await recordFailures(ctx.db, { records, now });
}
