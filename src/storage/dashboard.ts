/**
 * What the owner's dashboard (`/admin`) reads from D1, and the queue backlog the Metrics
 * object samples: followers per host, the hosts the `host_states` mirror lists, when each host
 * was last reached, and the owner's recent posts with the activities about them.
 */
import { and, asc, desc, eq, gt, inArray, sql } from "drizzle-orm";
import type { Db } from "./db";
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

/** Hosts the `host_states` mirror lists, in host order after `after` (a batch of `limit`). */
export function listedHostsQuery(db: Db, page: { after: string; limit: number }) {
  return db
    .select()
    .from(hostStates)
    .where(gt(hostStates.host, page.after))
    .orderBy(asc(hostStates.host))
    .limit(page.limit);
}

/** The owner's latest activities, whose deliveries say when each host was last reached. */
function latestActivities(db: Db, query: { actor: string; limit: number }) {
  return db
    .select({ id: outbox.id })
    .from(outbox)
    .where(eq(outbox.actor, query.actor))
    .orderBy(desc(outbox.seq))
    .limit(query.limit);
}

/**
 * When each host was last reached by one of the owner's latest `limit` activities: the time
 * its delivery batch was done, for the hosts that have no failure record for it (delivered;
 * one delivered later by its host's object counts from when the batch was handed over, so
 * this is a lower bound). One round trip.
 */
export async function lastReached(
  db: Db,
  query: { actor: string; limit: number },
): Promise<Map<string, Date>> {
  const latest = latestActivities(db, query);
  const [batches, failures] = await db.batch([
    db
      .select({
        activityId: deliveryBatches.activityId,
        hosts: deliveryBatches.hosts,
        doneAt: deliveryBatches.doneAt,
      })
      .from(deliveryBatches)
      .where(and(inArray(deliveryBatches.activityId, latest), eq(deliveryBatches.state, "done"))),
    db
      .select({ activityId: deliveryFailures.activityId, host: deliveryFailures.host })
      .from(deliveryFailures)
      .where(inArray(deliveryFailures.activityId, latest)),
  ]);
  const failed = new Set(failures.map((f) => `${f.activityId} ${f.host}`));
  const reached = new Map<string, Date>();
  for (const batch of batches) {
    if (batch.doneAt === null) continue;
    for (const host of batch.hosts) {
      const before = reached.get(host);
      if (failed.has(`${batch.activityId} ${host}`)) continue;
      if (before === undefined || before < batch.doneAt) reached.set(host, batch.doneAt);
    }
  }
  return reached;
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

/** The owner's activities about these notes (at most 90), of these types, in publication order. */
export function activitiesAboutNotesQuery(
  db: Db,
  about: { actor: string; objectIds: readonly string[]; types: readonly string[] },
) {
  return db
    .select({
      id: outbox.id,
      type: outbox.type,
      objectId: outbox.objectId,
      published: outbox.published,
    })
    .from(outbox)
    .where(
      and(
        eq(outbox.actor, about.actor),
        inArray(outbox.type, [...about.types]),
        inArray(outbox.objectId, [...about.objectIds]),
      ),
    )
    .orderBy(asc(outbox.seq));
}
