/**
 * The owner's home timeline: what the owner wrote and what the accounts they follow wrote,
 * read straight from `notes` (no materialised feed), newest first, in pages by status id.
 */
import { and, eq, exists, isNull, ne, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "./db";
import { noteIdSql } from "./ids";
import { type ApiPageRequest, type Page, pageById } from "./pages";
import { follows, type NoteRow, noteRecipients, notes, noteTags } from "./schema";

/**
 * What Mastodon puts in a home feed, as a condition on `notes`: every note of the owner's
 * (whatever its visibility), and the public, unlisted and followers-only notes of the accounts
 * the owner follows (an accepted follow), with their direct notes only when they are addressed
 * to the owner (in `to`/`cc`, or mentioned). Deleted notes never.
 *
 * The follow and the addressing are looked up per note by primary or unique key, and the
 * notes are walked in status id order (their times; the id's expression index) from the
 * cursor down, so a page costs about `limit` rows when most stored notes belong to the
 * timeline (as on a single-user instance, which only keeps notes that concern the owner).
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

/** One page of the owner's home timeline, newest first. */
export function homeTimeline(
  db: Db,
  owner: string,
  request: ApiPageRequest,
): Promise<Page<NoteRow>> {
  return pageById(noteIdSql(), request, (where, orderBy, limit) =>
    db
      .select()
      .from(notes)
      .where(and(inHomeOf(db, owner), where))
      .orderBy(orderBy)
      .limit(limit),
  );
}
