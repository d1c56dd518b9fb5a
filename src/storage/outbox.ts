/** Queries over the activities this instance published. */
import { and, count, eq, inArray, isNull, or } from "drizzle-orm";
import type { Db } from "./db";
import { type Page, type PageRequest, pageBySeq } from "./pages";
import { notes, type OutboxRow, outbox } from "./schema";

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

export async function countOutbox(db: Db, actor: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(outbox)
    .leftJoin(notes, eq(notes.id, outbox.objectId))
    .where(listed(actor));
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

export async function findOutboxActivity(db: Db, id: string): Promise<OutboxRow | undefined> {
  const [row] = await db.select().from(outbox).where(eq(outbox.id, id));
  return row;
}
