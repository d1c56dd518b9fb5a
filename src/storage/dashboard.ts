/**
 * What the owner's dashboard (`/admin`) reads from D1, and the queue backlog the Metrics
 * object samples: followers per host, the hosts the `host_states` mirror lists, and the
 * owner's recent posts with the activities about them.
 */
import { and, asc, desc, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "./db";
import type { HostDelivery, HostDeliveryState } from "./deliveries";
import { type ActivitiesAbout, aboutObject } from "./outbox";
import {
  actors,
  deliveryBatches,
  deliveryFailures,
  follows,
  hostStates,
  notes,
  outbox,
} from "./schema";

/**
 * Rows each count of the backlog sample reads at most: the sample is taken every few minutes
 * and must stay cheap however large the backlog grows (it reads as "at least" beyond that).
 */
export const BACKLOG_CAP = 1_000;

/**
 * The queue backlog (`activitypub_queue_size`, as `/metrics` counts it: hosts in pending
 * delivery batches, and deliveries retrying or parked), each part read up to `BACKLOG_CAP`
 * rows. One round trip.
 */
export async function readBacklog(db: Db): Promise<number> {
  const pendingBatches = db
    .select({ hosts: deliveryBatches.hosts })
    .from(deliveryBatches)
    .where(sql`${deliveryBatches.state} = 'pending'`)
    .limit(BACKLOG_CAP)
    .as("pending_batches");
  const waitingRows = db
    .select({ one: sql`1`.as("one") })
    .from(deliveryFailures)
    .where(inArray(deliveryFailures.state, ["retrying", "parked"]))
    .limit(BACKLOG_CAP)
    .as("waiting_rows");
  const [pending, waiting] = await db.batch([
    db
      .select({ n: sql<number>`coalesce(sum(json_array_length(${pendingBatches.hosts})), 0)` })
      .from(pendingBatches),
    db.select({ n: sql<number>`count(*)` }).from(waitingRows),
  ]);
  return (pending[0]?.n ?? 0) + (waiting[0]?.n ?? 0);
}

/** The owner's accepted followers per host (`actors.domain`), most first (one query). */
export function followersByHostQuery(db: Db, owner: string) {
  const followers = sql<number>`count(*)`;
  return db
    .select({ host: actors.domain, followers })
    .from(follows)
    .innerJoin(actors, eq(actors.id, follows.follower))
    .where(and(eq(follows.actor, owner), eq(follows.state, "accepted")))
    .groupBy(actors.domain)
    .orderBy(desc(followers), asc(actors.domain));
}

/**
 * What blocking `domain` would end: how many of its accounts follow the owner and how many
 * there the owner follows, requests included (one round trip).
 */
export async function domainFollowCounts(
  db: Db,
  query: { owner: string; domain: string },
): Promise<{ followers: number; following: number }> {
  const n = sql<number>`count(*)`;
  const [followers, following] = await db.batch([
    db
      .select({ n })
      .from(follows)
      .innerJoin(actors, eq(actors.id, follows.follower))
      .where(and(eq(follows.actor, query.owner), eq(actors.domain, query.domain))),
    db
      .select({ n })
      .from(follows)
      .innerJoin(actors, eq(actors.id, follows.actor))
      .where(and(eq(follows.follower, query.owner), eq(actors.domain, query.domain))),
  ]);
  return { followers: followers[0]?.n ?? 0, following: following[0]?.n ?? 0 };
}

/** Hosts the `host_states` mirror lists, in host order after `after` (a batch of `limit`). */
export function listedHostsQuery(db: Db, page: { after: string; limit: number }) {
  return db
    .select()
    .from(hostStates)
    .where(gt(hostStates.host, page.after))
    .orderBy(asc(hostStates.host))
    .limit(page.limit);
}

/** The owner's latest notes (deleted ones too: where their `Delete` went matters), newest first. */
export function recentOwnNotesQuery(db: Db, query: { owner: string; limit: number }) {
  return db
    .select({
      seq: notes.seq,
      id: notes.id,
      content: notes.content,
      summary: notes.summary,
      visibility: notes.visibility,
      published: notes.published,
      deletedAt: notes.deletedAt,
    })
    .from(notes)
    .where(eq(notes.attributedTo, query.owner))
    .orderBy(desc(notes.published), desc(notes.seq))
    .limit(query.limit);
}

/**
 * The owner's latest activity of these types about each of these notes: at most one a note
 * (the last published), so at most as many rows as notes.
 */
export function latestActivitiesAboutNotesQuery(
  db: Db,
  about: { actor: string; objectIds: readonly string[]; types: readonly string[] },
) {
  const latest = db
    .select({ seq: sql<number>`max(${outbox.seq})` })
    .from(outbox)
    .where(
      and(
        eq(outbox.actor, about.actor),
        inArray(outbox.type, [...about.types]),
        inArray(outbox.objectId, [...about.objectIds]),
      ),
    )
    .groupBy(outbox.objectId);
  return db
    .select({ id: outbox.id, type: outbox.type, objectId: outbox.objectId })
    .from(outbox)
    .where(inArray(outbox.seq, latest))
    .limit(about.objectIds.length);
}

/** The owner's latest `limit` activities of these types about one note, newest first. */
export function noteActivitiesQuery(db: Db, about: ActivitiesAbout & { limit: number }) {
  return db
    .select({ id: outbox.id, type: outbox.type, published: outbox.published })
    .from(outbox)
    .where(aboutObject(about))
    .orderBy(desc(outbox.seq))
    .limit(about.limit);
}

/** Each host of an activity's delivery batches: `h.value` in a query joined with `hostsOf`. */
const batchHost = sql<string>`h.value`;
const hostsOf = sql`json_each(${deliveryBatches.hosts}) as h`;
/** A host's failure record for the batch's activity (left-joined: none when delivered or pending). */
const failureOf = and(
  eq(deliveryFailures.activityId, deliveryBatches.activityId),
  eq(deliveryFailures.host, batchHost),
);

export interface DeliveryCount {
  readonly activityId: string;
  readonly state: HostDeliveryState;
  readonly hosts: number;
}

/**
 * How many hosts of each activity stand where (delivered, pending, retrying, parked,
 * failed), counted in D1: a host with a failure record is where the record says, the others
 * where their batch is. At most 90 activities; one round trip.
 */
export async function deliveryCounts(
  db: Db,
  activityIds: readonly string[],
): Promise<DeliveryCount[]> {
  if (activityIds.length === 0) return [];
  const ids = [...activityIds];
  const hosts = sql<number>`count(*)`;
  const [sent, failed] = await db.batch([
    db
      .select({ activityId: deliveryBatches.activityId, state: deliveryBatches.state, hosts })
      .from(deliveryBatches)
      .innerJoin(hostsOf, sql`true`)
      .leftJoin(deliveryFailures, failureOf)
      .where(and(inArray(deliveryBatches.activityId, ids), isNull(deliveryFailures.host)))
      .groupBy(deliveryBatches.activityId, deliveryBatches.state),
    db
      .select({ activityId: deliveryFailures.activityId, state: deliveryFailures.state, hosts })
      .from(deliveryFailures)
      .where(inArray(deliveryFailures.activityId, ids))
      .groupBy(deliveryFailures.activityId, deliveryFailures.state),
  ]);
  return [
    ...sent.map((row) => ({
      activityId: row.activityId,
      state: row.state === "done" ? ("delivered" as const) : ("pending" as const),
      hosts: row.hosts,
    })),
    ...failed,
  ];
}

/**
 * A page of an activity's hosts, by name, with where each delivery stands (as
 * `deliveriesOf` tells it, `limit` hosts from `offset`).
 */
export async function deliveryHostsPage(
  db: Db,
  page: { activityId: string; offset: number; limit: number },
): Promise<HostDelivery[]> {
  const rows = await db
    .select({
      host: batchHost,
      // Named apart: D1 answers by column name, and the failure's `state` would hide it.
      done: sql<boolean>`${deliveryBatches.state} = 'done'`.mapWith(Boolean),
      state: deliveryFailures.state,
      attempts: deliveryFailures.attempts,
      lastError: deliveryFailures.lastError,
      nextAttemptAt: deliveryFailures.nextAttemptAt,
    })
    .from(deliveryBatches)
    .innerJoin(hostsOf, sql`true`)
    .leftJoin(deliveryFailures, failureOf)
    .where(eq(deliveryBatches.activityId, page.activityId))
    .orderBy(batchHost)
    .limit(page.limit)
    .offset(page.offset);
  return rows.map((row): HostDelivery => {
    if (row.state !== null) {
      const { host, state, attempts, lastError, nextAttemptAt } = row;
      return { host, state, attempts: attempts ?? 0, lastError, nextAttemptAt };
    }
    const { done } = row;
    return {
      host: row.host,
      state: done ? "delivered" : "pending",
      attempts: done ? 1 : 0,
      lastError: null,
      nextAttemptAt: null,
    };
  });
}
