/**
 * The owner's home timeline: what the owner wrote and what the accounts they follow wrote,
 * read straight from `notes` (no materialised feed), newest first, in pages by `seq`.
 */
import { and, asc, desc, eq, exists, gt, isNull, lt, ne, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "./db";
import { follows, type NoteRow, noteRecipients, notes, noteTags } from "./schema";

/** A page request with Mastodon's cursors (all exclusive, all `seq`s). */
export interface TimelineRequest {
  /** Notes older than this. */
  readonly maxId?: number;
  /** Notes newer than this; the newest of them (a gap may remain below the page). */
  readonly sinceId?: number;
  /** Notes newer than this; the oldest of them (the page just after it). Wins over `sinceId`. */
  readonly minId?: number;
  readonly limit: number;
}

export interface TimelinePage {
  /** Newest first. */
  readonly items: readonly NoteRow[];
  /**
   * False only when the page is known to be the oldest one (no lower cursor was given and
   * fewer rows than asked for came back); with a lower cursor it is not looked up.
   */
  readonly hasOlder: boolean;
}

/**
 * What Mastodon puts in a home feed, as a condition on `notes`: every note of the owner's
 * (whatever its visibility), and the public, unlisted and followers-only notes of the accounts
 * the owner follows (an accepted follow), with their direct notes only when they are addressed
 * to the owner (in `to`/`cc`, or mentioned). Deleted notes never.
 *
 * The follow and the addressing are looked up per note by primary or unique key, and the
 * notes are walked by `seq` from the cursor down, so a page costs about `limit` rows when
 * most stored notes belong to the timeline (as on a single-user instance, which only keeps
 * notes that concern the owner).
 */
function inHomeOf(db: Db, owner: string): SQL | undefined {
  const followed = exists(
    db
      .select({ one: sql`1` })
      .from(follows)
      .where(
        and(
          eq(follows.actor, notes.attributedTo),
          eq(follows.follower, owner),
          eq(follows.state, "accepted"),
        ),
      ),
  );
  const addressedToOwner = or(
    exists(
      db
        .select({ one: sql`1` })
        .from(noteRecipients)
        .where(and(eq(noteRecipients.noteSeq, notes.seq), eq(noteRecipients.recipient, owner))),
    ),
    exists(
      db
        .select({ one: sql`1` })
        .from(noteTags)
        .where(
          and(
            eq(noteTags.noteSeq, notes.seq),
            eq(noteTags.type, "Mention"),
            eq(noteTags.href, owner),
          ),
        ),
    ),
  );
  return and(
    isNull(notes.deletedAt),
    or(
      eq(notes.attributedTo, owner),
      and(followed, or(ne(notes.visibility, "direct"), addressedToOwner)),
    ),
  );
}

/**
 * One page of the owner's home timeline. Reads one row more than the page holds to learn,
 * without counting, whether older notes follow.
 */
export async function homeTimeline(
  db: Db,
  owner: string,
  request: TimelineRequest,
): Promise<TimelinePage> {
  const { maxId, sinceId, minId, limit } = request;
  const lower = minId ?? sinceId;
  const where = and(
    inHomeOf(db, owner),
    maxId === undefined ? undefined : lt(notes.seq, maxId),
    lower === undefined ? undefined : gt(notes.seq, lower),
  );
  const oldestFirst = minId !== undefined;
  const rows = await db
    .select()
    .from(notes)
    .where(where)
    .orderBy(oldestFirst ? asc(notes.seq) : desc(notes.seq))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  if (oldestFirst) return { items: page.reverse(), hasOlder: true };
  return { items: page, hasOlder: sinceId !== undefined || rows.length > limit };
}
