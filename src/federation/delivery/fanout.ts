/**
 * Fan-out: from one stored activity to delivery messages. Recipients are read a page of
 * inboxes at a time (one query each), grouped by host, and packed several hosts to a
 * message, because queue operations are billed (the free plan has 10,000 a day) while a
 * consumer invocation can only make so many subrequests (50 on the free plan).
 */
import { PUBLIC_COLLECTION } from "../../activitypub/context";
import { hostOf, idsOf, type JsonObject } from "../../activitypub/parse";
import type { AppContext } from "../../context";
import { sha256Hex } from "../../lib/hash";
import { type NewBatch, recordBatches } from "../../storage/deliveries";
import { findOutboxActivity } from "../../storage/outbox";
import { recipientInboxes } from "../../storage/recipients";
import type { DeliverMessage, FanoutMessage } from "../queue/messages";
import { enqueue, type Outgoing } from "../queue/send";
import { MAX_INBOXES_PER_MESSAGE } from "./policy";

/** Inboxes resolved per fan-out invocation; more continue in another message. */
export const FANOUT_PAGE = 500;
/** Hosts per delivery message: as many as inboxes, one each at most. */
export const MAX_HOSTS_PER_MESSAGE = MAX_INBOXES_PER_MESSAGE;

/** Everyone an activity names in `to`, `cc`, `bto`, `bcc` and `audience`. */
export function audienceOf(activity: JsonObject): string[] {
  const keys = ["to", "cc", "bto", "bcc", "audience"] as const;
  return [...new Set(keys.flatMap((k) => idsOf(activity[k])))];
}

/**
 * Packs inboxes into messages of whole hosts (a host with more inboxes than a message holds
 * fills messages of its own, and what is left of it packs like any other host): most inboxes
 * first, each host into the first message with room (first-fit decreasing), which fills
 * messages fuller than taking hosts in inbox order, where a host with two inboxes finds a
 * message with one place left and opens another. Fewer messages are fewer queue operations
 * (billed) and fewer invocations. The same inboxes in the same order always pack the same way
 * (a repeated fan-out's batch ids).
 */
export function packInboxes(inboxes: readonly string[]): string[][] {
  const chunks: string[][] = [];
  for (const group of Map.groupBy(inboxes, hostOf).values()) {
    for (let i = 0; i < group.length; i += MAX_INBOXES_PER_MESSAGE) {
      chunks.push(group.slice(i, i + MAX_INBOXES_PER_MESSAGE));
    }
  }
  // Stable: hosts with as many inboxes keep their order.
  chunks.sort((a, b) => b.length - a.length);
  const messages: string[][] = [];
  // The messages with room left, in the order they were made. A host brings at least one
  // inbox, so a message within its inboxes is within its hosts (`MAX_HOSTS_PER_MESSAGE`).
  let open: string[][] = [];
  for (const chunk of chunks) {
    let message = open.find((m) => m.length + chunk.length <= MAX_INBOXES_PER_MESSAGE);
    if (message === undefined) {
      message = [];
      messages.push(message);
      open.push(message);
    }
    message.push(...chunk);
    if (message.length === MAX_INBOXES_PER_MESSAGE) open = open.filter((m) => m !== message);
  }
  return messages;
}

/** A batch id that a repeated fan-out computes again, so that it never doubles a delivery. */
async function batchIdOf(activityId: string, inboxes: readonly string[]): Promise<string> {
  return (await sha256Hex(`${activityId}\n${inboxes.join("\n")}`)).slice(0, 32);
}

/** Resolves one page of recipients and enqueues their delivery messages. */
export async function fanOut(
  ctx: Pick<AppContext, "db" | "config" | "queue" | "now">,
  message: FanoutMessage,
): Promise<void> {
  const { db, config } = ctx;
  const activity = await findOutboxActivity(db, message.activityId);
  if (activity === undefined) {
    console.warn(`fanout: no activity ${message.activityId}`);
    return;
  }
  const audience = audienceOf(activity.payload);
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
  const messages: DeliverMessage[] = [];
  const batches: NewBatch[] = [];
  for (const group of packInboxes(page)) {
    const batchId = await batchIdOf(activity.id, group);
    messages.push({ v: 1, type: "deliver", activityId: activity.id, inboxes: group, batchId });
    batches.push({ id: batchId, activityId: activity.id, hosts: [...new Set(group.map(hostOf))] });
  }
  // The batches are recorded before their messages exist: a status never misses a host.
  await recordBatches(db, { batches, now: ctx.now() });
  const bodies: Outgoing[] = messages.map((body) => ({ body }));
  if (inboxes.length > FANOUT_PAGE) {
    bodies.push({ body: { v: 1, type: "fanout", activityId: activity.id, after: page.at(-1) } });
  }
  await enqueue(ctx, bodies);
}
