/**
 * The queue consumer. Every message is acked, retried with a delay, or (after its retries)
 * handed to the dead-letter queue, whose consumer records it: nothing is dropped silently.
 */
import { eq } from "drizzle-orm";
import { hostOf } from "../activitypub/parse";
import { parseNote, visibilityOf } from "../activitypub/remote-note";
import { fetchActor, fetchRemote, type RemoteContext } from "../cache/remote-actors";
import { type Config, parseConfig } from "../env";
import { backoffSeconds } from "../hosts/policy";
import { findActor } from "../storage/actors";
import { createDb, runBatch } from "../storage/db";
import { recordFailures } from "../storage/deliveries";
import { mentionStatements } from "../storage/notifications";
import { inbox } from "../storage/schema";
import { deliver } from "./deliver";
import { fanOut } from "./fanout";
import { type FetchObjectMessage, parseQueueMessage, type QueueMessage } from "./messages";
import { concernsOwner, storeNoteStatements } from "./remote-notes";

const DEAD_LETTER_QUEUE = "outpost-delivery-dlq";

/** What became of one message. */
type Settled = { readonly ack: true } | { readonly ack: false; readonly delaySeconds: number };
const ACK: Settled = { ack: true };

export async function handleQueueBatch(
  batch: MessageBatch<unknown>,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  const parsedConfig = parseConfig(env);
  if (!parsedConfig.ok) {
    console.error(`queue ${batch.queue}: configuration error, retrying later`);
    batch.retryAll({ delaySeconds: 300 });
    return;
  }
  const remote: RemoteContext = {
    db: createDb(env.DB),
    config: parsedConfig.config,
    cache: env.ACTOR_CACHE,
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
        await recordDeadLetter(remote, parsed.message, message.attempts);
        message.ack();
        return;
      }
      let settled: Settled;
      try {
        switch (parsed.message.type) {
          case "fanout":
            await fanOut({ ...remote, queue: env.DELIVERY_QUEUE }, parsed.message);
            settled = ACK;
            break;
          case "deliver":
            await deliver({ ...remote, env }, parsed.message);
            settled = ACK;
            break;
          case "fetchObject":
            settled = await fetchObject(remote, parsed.message, message.attempts);
            break;
        }
      } catch (error) {
        // Unexpected: retried later, and after the queue's retries, the dead-letter queue.
        console.error(
          `queue: ${parsed.message.type} ${message.id} failed: ${error instanceof Error ? error.message : "unknown error"}`,
        );
        settled = { ack: false, delaySeconds: retryDelay(remote.config, message.attempts) };
      }
      if (settled.ack) message.ack();
      else message.retry({ delaySeconds: settled.delaySeconds });
    }),
  );
}

/** Fetches a note and stores it: created by URL only, or the parent of a stored reply. */
async function fetchObject(
  ctx: RemoteContext,
  message: FetchObjectMessage,
  attempts: number,
): Promise<Settled> {
  const fetched = await fetchRemote(ctx, message.id);
  if (!fetched.ok) {
    if (
      fetched.reason === "timeout" ||
      fetched.reason === "network" ||
      (fetched.status ?? 0) >= 500
    ) {
      return { ack: false, delaySeconds: retryDelay(ctx.config, attempts) };
    }
    await markProcessed(ctx, message.inboxId);
    return ACK;
  }
  const note = parseNote(fetched.document);
  const sameHost = note !== undefined && new URL(note.attributedTo).host === new URL(note.id).host;
  // A Create given by URL is only the sender's to make: its author, on its host.
  const bySender =
    message.purpose !== "create" ||
    message.sender === undefined ||
    (note !== undefined && note.attributedTo === message.sender);
  if (note === undefined || !sameHost || !bySender) {
    await markProcessed(ctx, message.inboxId);
    return ACK;
  }
  if (message.purpose === "create" && !(await concernsOwner(ctx.db, ctx.config, note))) {
    await markProcessed(ctx, message.inboxId);
    return ACK;
  }
  let author = await findActor(ctx.db, note.attributedTo);
  if (author === undefined) {
    const fetchedAuthor = await fetchActor(ctx, note.attributedTo);
    author = fetchedAuthor.ok ? fetchedAuthor.actor : undefined;
  }
  const now = new Date();
  const statements = await storeNoteStatements(
    ctx.db,
    note,
    visibilityOf(note, author?.followers),
    now,
  );
  // A note created by URL only notifies like one sent whole; a thread's context does not.
  const mentions =
    message.purpose === "create"
      ? mentionStatements(ctx.db, { owner: ctx.config.urls.owner.id, note, receivedAt: now })
      : [];
  await runBatch(ctx.db, [
    ...statements,
    ...mentions,
    ...processedStatements(ctx, message.inboxId, now),
  ]);
  return ACK;
}

function processedStatements(ctx: RemoteContext, inboxId: string | undefined, now: Date) {
  return inboxId === undefined
    ? []
    : [ctx.db.update(inbox).set({ processedAt: now }).where(eq(inbox.id, inboxId))];
}

async function markProcessed(ctx: RemoteContext, inboxId: string | undefined): Promise<void> {
  await runBatch(ctx.db, processedStatements(ctx, inboxId, new Date()));
}

/** A message's next try, on the configured base (shortened on a development instance). */
const retryDelay = (config: Config, attempts: number) =>
  backoffSeconds(attempts, { baseMs: config.retryBaseMs });

/** A message that used up its retries: recorded, and what waited on it is released. */
async function recordDeadLetter(
  ctx: RemoteContext,
  message: QueueMessage,
  attempts: number,
): Promise<void> {
  const what = message.type === "fetchObject" ? message.id : message.activityId;
  console.error(`dead letter: ${message.type} ${what} gave up after ${attempts} attempts`);
  if (message.type === "fetchObject") await markProcessed(ctx, message.inboxId);
  if (message.type === "fanout") {
    // The recipients could not be resolved: the status of the post says so.
    await recordFailures(
      ctx.db,
      [
        {
          activityId: message.activityId,
          host: "(fan-out)",
          state: "failed",
          inboxes: [],
          error: `recipients not resolved after ${attempts} attempts`,
        },
      ],
      new Date(),
    );
  }
  if (message.type === "deliver") {
    const byHost = new Map<string, string[]>();
    for (const inbox of message.inboxes) {
      byHost.set(hostOf(inbox), [...(byHost.get(hostOf(inbox)) ?? []), inbox]);
    }
    await recordFailures(
      ctx.db,
      [...byHost].map(([host, inboxes]) => ({
        activityId: message.activityId,
        host,
        state: "failed" as const,
        inboxes,
        error: `dead-lettered after ${attempts} attempts`,
      })),
      new Date(),
    );
  }
}
