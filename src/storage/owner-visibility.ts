/**
 * Which stored notes the owner may see: the one condition every query that shows notes to
 * the owner by id, by words or by author applies (Mastodon's `StatusPolicy#show?` for a
 * signed-in account). Kept apart from `visibility.ts`, which `schema.ts` imports: this
 * module reads the tables, and the schema must not wait on it.
 */
import { and, eq, exists, inArray, isNull, or, type Placeholder, type SQL, sql } from "drizzle-orm";
import type { Db } from "./db";
import { follows, noteRecipients, notes, noteTags } from "./schema";

/**
 * Who may see a note, as Mastodon decides it for a signed-in account: public and unlisted
 * notes anyone; followers-only notes whoever follows the author; any note whoever it is
 * addressed to (in `to` or `cc`) or mentions; the owner every note of theirs. Deleted notes
 * no one. Each is looked up by key for the note at hand (the outer query's row of `notes`).
 */
export function visibleToOwner(db: Db, owner: string | Placeholder): SQL {
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
  const addressed = or(
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
  const seen = or(
    eq(notes.attributedTo, owner),
    inArray(notes.visibility, ["public", "unlisted"]),
    and(eq(notes.visibility, "private"), followed),
    addressed,
  );
  return sql`(${isNull(notes.deletedAt)} and ${seen})`;
}
