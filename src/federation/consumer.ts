/**
 * The queue consumer. Every message is acked, retried with a delay, or (after its retries)
 * handed to the dead-letter queue, whose consumer records it: nothing is dropped silently.
 */
import { eq } from "drizzle-orm";
import { parseNote, visibilityOf } from "../activitypub/remote-note";
import { fetchActor, fetchRemote, type RemoteContext } from "../cache/remote-actors";
import { parseConfig } from "../env";
import { findActor } from "../storage/actors";
import { createDb, runBatch } from "../storage/db";
import { loadSigningKey } from "../storage/local-actors";
import { findOutboxActivity } from "../storage/outbox";
import { inbox } from "../storage/schema";
import { backoffSeconds, deliverTo } from "./deliver";
import { type DeliverMessage, type FetchObjectMessage, parseQueueMessage } from "./messages";
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
  const remote: RemoteContext = { db: createDb(env.DB), config: parsedConfig.config };
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
        settled =
          parsed.message.type === "deliver"
            ? await deliver(remote, parsed.message, env, message.attempts)
            : await fetchObject(remote, parsed.message, message.attempts);
      } catch (error) {
        console.error(
          `queue: ${parsed.message.type} ${message.id} failed: ${error instanceof Error ? error.message : "unknown error"}`,
        );
        settled = { ack: false, delaySeconds: backoffSeconds(message.attempts) };
      }
      if (settled.ack) message.ack();
      else message.retry({ delaySeconds: settled.delaySeconds });
    }),
  );
}

/**
 * Sends an activity to its inboxes. Inboxes that failed for a reason worth retrying are
 * retried on their own (the message is retried when they all did, or re-sent for the rest).
 */
async function deliver(
  ctx: RemoteContext,
  message: DeliverMessage,
  env: Env,
  attempts: number,
): Promise<Settled> {
  const activity = await findOutboxActivity(ctx.db, message.activityId);
  if (activity === undefined) {
    console.warn(`deliver: no activity ${message.activityId}; nothing to send`);
    return ACK;
  }
  const key = await loadSigningKey(ctx.db, "owner", ctx.config.urls.owner.keyId);
  const outcomes = await Promise.all(
    message.inboxes.map(async (inbox) => ({
      inbox,
      outcome: await deliverTo(inbox, activity.payload, { config: ctx.config, key }),
    })),
  );
  const again = outcomes.filter(
    ({ outcome }) => outcome.kind === "retry" || outcome.kind === "hostFailure",
  );
  for (const { inbox, outcome } of outcomes) {
    if (outcome.kind === "gone" || outcome.kind === "rejected" || outcome.kind === "blocked") {
      console.warn(`deliver: ${message.activityId} to ${inbox}: ${outcome.kind}, not retried`);
    }
  }
  if (again.length === 0) return ACK;
  const retryAfter = Math.max(
    0,
    ...again.map(({ outcome }) => (outcome.kind === "retry" ? (outcome.retryAfter ?? 0) : 0)),
  );
  // A message re-sent for some of its inboxes carries the attempt it was at.
  const attempt = attempts + (message.attempt ?? 1) - 1;
  const delaySeconds = Math.min(24 * 3600, Math.max(retryAfter, backoffSeconds(attempt)));
  if (again.length === message.inboxes.length) return { ack: false, delaySeconds };
  await env.DELIVERY_QUEUE.send(
    { ...message, inboxes: again.map(({ inbox }) => inbox), attempt: attempt + 1 },
    { delaySeconds },
  );
  return ACK;
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
      return { ack: false, delaySeconds: backoffSeconds(attempts) };
    }
    await markProcessed(ctx, message.inboxId);
    return ACK;
  }
  const note = parseNote(fetched.document);
  const sameHost = note !== undefined && new URL(note.attributedTo).host === new URL(note.id).host;
  if (note === undefined || !sameHost) {
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
  await runBatch(ctx.db, [...statements, ...processedStatements(ctx, message.inboxId, now)]);
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

/** A message that used up its retries: recorded, and what waited on it is released. */
async function recordDeadLetter(
  ctx: RemoteContext,
  message: DeliverMessage | FetchObjectMessage,
  attempts: number,
): Promise<void> {
  const what =
    message.type === "deliver"
      ? `${message.activityId} to ${message.inboxes.join(", ")}`
      : message.id;
  console.error(`dead letter: ${message.type} ${what} gave up after ${attempts} attempts`);
  if (message.type === "fetchObject") await markProcessed(ctx, message.inboxId);
}
