/**
 * What the owner keeps: bookmarks (`bookmarks`), and favourites (their `Like`s in
 * `reactions`), each listed newest first in pages by its own row's `seq`, as Mastodon pages
 * them by its bookmarks' and favourites' own ids (which only the `Link` header carries; the
 * client API's cursors are turned into `seq`s by `bySeq`, `http/api/paging.ts`).
 */
import { and, eq, sql } from "drizzle-orm";
import type { Db, Statement } from "./db";
import { type Page, type PageRequest, pageBySeq } from "./pages";
import { bookmarks, notes, reactions } from "./schema";
import { visibleToOwner } from "./threads";

/** Bookmarks a note, once (a second bookmark of it changes nothing). */
export function bookmarkStatement(db: Db, bookmark: { note: string; at: Date }): Statement {
  return db
    .insert(bookmarks)
    .values({ note: bookmark.note, createdAt: bookmark.at })
    .onConflictDoNothing();
}

/** Removes the bookmark of a note, if there is one. */
export function unbookmarkStatement(db: Db, note: string): Statement {
  return db.delete(bookmarks).where(eq(bookmarks.note, note));
}

/** A row of a page of what the owner kept: its own `seq` (the cursor), and its note's. */
export interface Marked {
  readonly seq: number;
  readonly noteSeq: number;
}

/** The note's `seq`, named apart from the row's own (a D1 result must not repeat a name). */
const noteSeq = sql<number>`${notes.seq}`.as("note_seq");

/**
 * A page of the owner's bookmarks, newest first, of notes they may still see: walked from
 * the cursor down the rowid, each note found by its unique id.
 */
export function bookmarkPage(
  db: Db,
  query: { owner: string; request: PageRequest },
): Promise<Page<Marked>> {
  return pageBySeq(bookmarks.seq, query.request, (where, orderBy, limit) =>
    db
      .select({ seq: bookmarks.seq, noteSeq })
      .from(bookmarks)
      .innerJoin(notes, eq(notes.id, bookmarks.note))
      .where(and(visibleToOwner(db, query.owner), where))
      .orderBy(orderBy)
      .limit(limit),
  );
}

/**
 * A page of the owner's favourites (their likes), newest first, of notes they may still
 * see: the owner's reactions through `reactions_actor_idx`, in rowid order from the cursor.
 */
export function favouritePage(
  db: Db,
  query: { owner: string; request: PageRequest },
): Promise<Page<Marked>> {
  return pageBySeq(reactions.seq, query.request, (where, orderBy, limit) =>
    db
      .select({ seq: reactions.seq, noteSeq })
      .from(reactions)
      .innerJoin(notes, eq(notes.id, reactions.object))
      .where(
        and(
          eq(reactions.actor, query.owner),
          eq(reactions.type, "Like"),
          visibleToOwner(db, query.owner),
          where,
        ),
      )
      .orderBy(orderBy)
      .limit(limit),
  );
}
