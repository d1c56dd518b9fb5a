/** The activities this instance published, exactly as published. */
import { and, asc, eq, inArray, isNull, lt, or } from "drizzle-orm";
import { countOf } from "./counts";
import { type Db, runBatch, type Statement } from "./db";
import { type Page, type PageRequest, pageBySeq } from "./pages";
import { notes, type OutboxRow, outbox, type Visibility } from "./schema";

/**
 * What the outbox collection shows anyone: public and unlisted posts and boosts, minus the
 * posts deleted since (their `Create` would point at a tombstone).
 */
function listed(actor: string) {
  return and(
    eq(outbox.actor, actor),
    inArray(outbox.type, ["Create", "Announce"]),
    inArray(outbox.visibility, ["public", "unlisted"]),
    or(isNull(notes.seq), isNull(notes.deletedAt)),
  );
}

/** How many items the actor's outbox collection lists: a kept count (`schema-counts.ts`). */
export async function countOutbox(db: Db, actor: string): Promise<number> {
  const [row] = await countOf(db, { subject: actor, what: "outbox" });
  return row?.n ?? 0;
}

export function pageOutbox(
  db: Db,
  actor: string,
  request: PageRequest,
): Promise<Page<Pick<OutboxRow, "seq" | "payload">>> {
  return pageBySeq(outbox.seq, request, (where, orderBy, limit) =>
    db
      .select({ seq: outbox.seq, payload: outbox.payload })
      .from(outbox)
      .leftJoin(notes, eq(notes.id, outbox.objectId))
      .where(and(listed(actor), where))
      .orderBy(orderBy)
      .limit(limit),
  );
}

/** One stored activity (a query, to run alone or in a batch). */
export function outboxActivityQuery(db: Db, id: string) {
  return db.select().from(outbox).where(eq(outbox.id, id));
}

/** Several stored activities by id (a query, to run alone or in a batch; at most 100 ids). */
export function outboxActivitiesQuery(db: Db, ids: readonly string[]) {
  return db
    .select()
    .from(outbox)
    .where(inArray(outbox.id, [...ids]));
}

export async function findOutboxActivity(db: Db, id: string): Promise<OutboxRow | undefined> {
  const [row] = await outboxActivityQuery(db, id);
  return row;
}

/** An activity as we publish it: its id, type and actor, and whatever else it says. */
export type ActivityPayload = Record<string, unknown> & {
  readonly id: string;
  readonly type: string;
  readonly actor: string;
};

export interface NewActivity {
  readonly payload: ActivityPayload;
  /** What it is about: a note, an account, the activity it undoes. */
  readonly objectId: string;
  readonly visibility: Visibility;
  readonly published: Date;
}

/** Stores one of our activities, to be fetched by id and delivered as it is. */
export function insertActivityStatement(db: Db, activity: NewActivity): Statement {
  const { payload } = activity;
  return db.insert(outbox).values({
    id: payload.id,
    actor: payload.actor,
    type: payload.type,
    objectId: activity.objectId,
    visibility: activity.visibility,
    payload,
    published: activity.published,
  });
}

/** The outbox shows a post as it is now: its `Create` carries the edited note. */
export function replacePayloadStatement(
  db: Db,
  activity: { id: string; payload: Record<string, unknown> },
): Statement {
  return db.update(outbox).set({ payload: activity.payload }).where(eq(outbox.id, activity.id));
}

/** An actor's activities about an object, of these types. */
export interface ActivitiesAbout {
  readonly actor: string;
  readonly objectId: string;
  readonly types: readonly string[];
}

/** The condition `activitiesAbout` and the dashboard's latest of them share. */
export const aboutObject = (about: ActivitiesAbout) =>
  and(
    eq(outbox.actor, about.actor),
    inArray(outbox.type, [...about.types]),
    eq(outbox.objectId, about.objectId),
  );

/** The owner's activities about an object, of these types, in publication order. */
export function activitiesAbout(db: Db, about: ActivitiesAbout) {
  return db
    .select({ id: outbox.id, type: outbox.type, published: outbox.published })
    .from(outbox)
    .where(aboutObject(about))
    .orderBy(outbox.seq);
}

/** The fan-out of these activities was queued. */
export async function markFannedOut(db: Db, fanned: { ids: readonly string[]; at: Date }) {
  // D1 binds at most 100 parameters a statement: the ids go in slices, in one batch.
  const statements: Statement[] = [];
  for (let i = 0; i < fanned.ids.length; i += IDS_PER_STATEMENT) {
    const slice = fanned.ids.slice(i, i + IDS_PER_STATEMENT);
    statements.push(
      db.update(outbox).set({ fannedOutAt: fanned.at }).where(inArray(outbox.id, slice)),
    );
  }
  await runBatch(db, statements);
}

/** Ids bound per statement, under D1's 100 parameters with the others. */
const IDS_PER_STATEMENT = 90;

/** Activities stored before `before` whose fan-out was never queued, oldest first. */
export function unsentFanouts(db: Db, query: { before: Date; limit: number }) {
  return db
    .select({ id: outbox.id })
    .from(outbox)
    .where(and(isNull(outbox.fannedOutAt), lt(outbox.published, query.before)))
    .orderBy(asc(outbox.published))
    .limit(query.limit);
}
