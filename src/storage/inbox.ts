/**
 * Activities received: one row per activity id, written in the batch that applies the
 * activity, so that an activity is applied exactly once and a repeat is recognised. A row
 * keeps the queue messages its activity still has to send (`follow_ups`) until they are sent.
 */
import { and, asc, eq, isNotNull, lt } from "drizzle-orm";
import type { QueueMessage } from "../federation/queue/messages";
import { type Db, runBatch, type Statement } from "./db";
import { blockQuery, domainBlockQuery } from "./safety";
import { inbox } from "./schema";

/** A received activity seen before: what it still has to send, if anything. */
export async function findReceived(
  db: Db,
  id: string,
): Promise<{ followUps: QueueMessage[] | null } | undefined> {
  const [row] = await receivedQuery(db, id);
  return row;
}

const receivedQuery = (db: Db, id: string) =>
  db.select({ followUps: inbox.followUps }).from(inbox).where(eq(inbox.id, id));

/** What the inbox must know of a verified activity before applying it. */
export interface Screened {
  /** Received before: what it still has to send, if anything. */
  readonly received: { followUps: QueueMessage[] | null } | undefined;
  /** The owner blocked its sender. */
  readonly blocked: boolean;
  /** The owner blocked its sender's domain. */
  readonly domainBlocked: boolean;
}

/** Whether an activity is a repeat and whether its sender or domain is blocked: one round trip. */
export async function screenReceived(
  db: Db,
  activity: { id: string; sender: string; domain: string },
): Promise<Screened> {
  const [received, blocked, domainBlocked] = await db.batch([
    receivedQuery(db, activity.id),
    blockQuery(db, activity.sender),
    domainBlockQuery(db, activity.domain),
  ]);
  return {
    received: received[0],
    blocked: blocked.length > 0,
    domainBlocked: domainBlocked.length > 0,
  };
}

export interface ReceivedActivity {
  readonly id: string;
  /** The local actor whose inbox it is. */
  readonly actor: string;
  /** The verified sender. */
  readonly sender: string;
  readonly type: string;
  readonly objectId: string | undefined;
  /** The body as received. */
  readonly payload: string;
  readonly receivedAt: Date;
  /** Its effects wait for the queue: it is marked processed once they are done. */
  readonly pending: boolean;
  readonly followUps: readonly QueueMessage[];
}

/**
 * Stores a received activity with the statements that apply it, in one batch. "duplicate"
 * when the same activity was stored meanwhile (two deliveries at once): the second batch
 * loses on the activity id and changes nothing.
 */
export async function storeReceived(
  db: Db,
  activity: ReceivedActivity,
  effects: readonly Statement[],
): Promise<"stored" | "duplicate"> {
  const record = db.insert(inbox).values({
    id: activity.id,
    actor: activity.actor,
    sender: activity.sender,
    type: activity.type,
    objectId: activity.objectId ?? null,
    payload: activity.payload,
    createdAt: activity.receivedAt,
    processedAt: activity.pending ? null : activity.receivedAt,
    followUps: activity.followUps.length > 0 ? [...activity.followUps] : null,
  });
  try {
    await runBatch(db, [record, ...effects]);
    return "stored";
  } catch (error) {
    if (
      error instanceof Error &&
      /UNIQUE constraint failed: inbox\.id/.test(String(error.cause ?? error.message))
    ) {
      return "duplicate";
    }
    throw error;
  }
}

/** The follow-ups of an activity were sent. */
export async function clearFollowUps(db: Db, id: string): Promise<void> {
  await db.update(inbox).set({ followUps: null }).where(eq(inbox.id, id));
}

/** Activities received before `before` whose follow-ups were never sent, oldest first. */
export function unsentFollowUps(db: Db, query: { before: Date; limit: number }) {
  return db
    .select({ id: inbox.id, followUps: inbox.followUps })
    .from(inbox)
    .where(and(isNotNull(inbox.followUps), lt(inbox.createdAt, query.before)))
    .orderBy(asc(inbox.createdAt))
    .limit(query.limit);
}

/** Marks a received activity's effects complete (nothing without an id). */
export async function markProcessed(db: Db, received: { id: string | undefined; at: Date }) {
  await runBatch(db, markProcessedStatements(db, received));
}

/** The statement that marks a received activity's effects complete (none without an id). */
export function markProcessedStatements(
  db: Db,
  received: { id: string | undefined; at: Date },
): Statement[] {
  if (received.id === undefined) return [];
  return [db.update(inbox).set({ processedAt: received.at }).where(eq(inbox.id, received.id))];
}
