/**
 * Fan-out: from one stored activity to delivery messages. Recipients are read a page of
 * inboxes at a time (one query each), grouped by host, and packed several hosts to a
 * message, because queue operations are billed (the free plan has 10,000 a day) while a
 * consumer invocation can only make so many subrequests (50 on the free plan).
 */
import { PUBLIC_COLLECTION } from "../activitypub/context";
import { hostOf, idsOf, type JsonObject } from "../activitypub/parse";
import type { Config } from "../env";
import type { Db } from "../storage/db";
import { findOutboxActivity } from "../storage/outbox";
import { recipientInboxes } from "../storage/recipients";
import { deliveryBatches } from "../storage/schema";
import type { DeliverMessage, FanoutMessage } from "./messages";
import { enqueue, type Outgoing } from "./queue";

/** Inboxes resolved per fan-out invocation; more continue in another message. */
export const FANOUT_PAGE = 500;
/**
 * A delivery message costs its consumer one POST per inbox, two D1 round trips, and two
 * Durable Object calls per host that is failing (healthy hosts cost none): 32 inboxes leave
 * room, under the free plan's 50 subrequests, for a few failing hosts and second knocks.
 */
export const MAX_INBOXES_PER_MESSAGE = 32;
export const MAX_HOSTS_PER_MESSAGE = MAX_INBOXES_PER_MESSAGE;

export interface FanoutContext {
  readonly db: Db;
  readonly config: Config;
  readonly queue: Queue;
}

/** Everyone an activity names in `to`, `cc`, `bto`, `bcc` and `audience`. */
export function audienceOf(activity: JsonObject): string[] {
  const keys = ["to", "cc", "bto", "bcc", "audience"] as const;
  return [...new Set(keys.flatMap((k) => idsOf(activity[k])))];
}

/** Packs inboxes (sorted, so one host's are together) into messages of whole hosts. */
export function packInboxes(inboxes: readonly string[]): string[][] {
  const byHost = new Map<string, string[]>();
  for (const inbox of inboxes) {
    const host = hostOf(inbox);
    byHost.set(host, [...(byHost.get(host) ?? []), inbox]);
  }
  const messages: string[][] = [];
  let current: string[] = [];
  let hosts = 0;
  for (const group of byHost.values()) {
    // A host with more inboxes than a message holds is split over messages of its own.
    for (let i = 0; i < group.length; i += MAX_INBOXES_PER_MESSAGE) {
      const chunk = group.slice(i, i + MAX_INBOXES_PER_MESSAGE);
      if (
        current.length > 0 &&
        (hosts >= MAX_HOSTS_PER_MESSAGE || current.length + chunk.length > MAX_INBOXES_PER_MESSAGE)
      ) {
        messages.push(current);
        current = [];
        hosts = 0;
      }
      current.push(...chunk);
      hosts++;
    }
  }
  if (current.length > 0) messages.push(current);
  return messages;
}

/** A batch id that a repeated fan-out computes again, so that it never doubles a delivery. */
async function batchIdOf(activityId: string, inboxes: readonly string[]): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(`${activityId}\n${inboxes.join("\n")}`),
  );
  return Array.from(new Uint8Array(digest).slice(0, 16), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}

/** Resolves one page of recipients and enqueues their delivery messages. */
export async function fanOut(ctx: FanoutContext, message: FanoutMessage): Promise<void> {
  const { db, config } = ctx;
  const activity = await findOutboxActivity(db, message.activityId);
  if (activity === undefined) {
    console.warn(`fanout: no activity ${message.activityId}`);
    return;
  }
  const audience = audienceOf(activity.payload as JsonObject);
  const owner = config.urls.owner;
  const inboxes = await recipientInboxes(db, {
    followersOf: audience.includes(owner.followers) ? owner.id : undefined,
    actors: audience.filter(
      (id) =>
        id !== PUBLIC_COLLECTION && id !== owner.followers && !id.startsWith(`${config.origin}/`),
    ),
    after: message.after,
    limit: FANOUT_PAGE + 1,
  });
  const page = inboxes.slice(0, FANOUT_PAGE);
  const now = new Date();
  const messages: DeliverMessage[] = [];
  const rows: (typeof deliveryBatches.$inferInsert)[] = [];
  for (const group of packInboxes(page)) {
    const batchId = await batchIdOf(activity.id, group);
    const hosts = [...new Set(group.map(hostOf))];
    messages.push({ v: 1, type: "deliver", activityId: activity.id, inboxes: group, batchId });
    rows.push({ id: batchId, activityId: activity.id, hosts, state: "pending", createdAt: now });
  }
  // The batches are recorded before their messages exist: a status never misses a host.
  const statements = [];
  for (let i = 0; i < rows.length; i += 15) {
    statements.push(
      db
        .insert(deliveryBatches)
        .values(rows.slice(i, i + 15))
        .onConflictDoNothing(),
    );
  }
  const [first, ...rest] = statements;
  if (first !== undefined) await db.batch([first, ...rest]);
  const bodies: Outgoing[] = messages.map((body) => ({ body }));
  if (inboxes.length > FANOUT_PAGE) {
    bodies.push({ body: { v: 1, type: "fanout", activityId: activity.id, after: page.at(-1) } });
  }
  await enqueue(ctx.queue, bodies);
}
