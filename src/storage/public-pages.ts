/**
 * What the public pages show (`pages/`), each page read in one round trip: the profile page
 * (the summary, the pins, a page of posts), a note's page (the note, the profile, the replies
 * below it with their authors) and a hashtag's page (the profile, a page of tagged posts).
 * Only what anyone may see is read: public and unlisted notes (a hashtag's page, public ones
 * alone, as Mastodon's), never a deleted one, and no reply by an account the owner keeps away.
 */
import { and, asc, desc, eq, exists, inArray, isNotNull, isNull, lte, sql } from "drizzle-orm";
import type { OwnerProfile } from "../env";
import { type Batched, batched, known, readBatched } from "./batched";
import type { Db } from "./db";
import { noteIdSql } from "./ids";
import { effectiveProfile, type Profile, profileQuery } from "./owner-profile";
import { idBetween } from "./pages";
import { type ProfileSummary, profileSummaryRead } from "./profile";
import { actors, type NoteRow, notes, noteTags, type Visibility } from "./schema";
import { joinedAuthorShown } from "./shown";

/** A page of posts, newest first, and whether older ones follow. */
export interface PostsPage {
  readonly notes: readonly NoteRow[];
  readonly older: boolean;
}

/** Which posts a page lists. */
interface PostsQuery {
  readonly author: string;
  readonly visibilities: readonly Visibility[];
  /** Only notes older than this status id (`max_id`). */
  readonly maxId?: bigint;
  readonly limit: number;
  /** A hashtag's stored name (`activitypub/hashtags.ts`). */
  readonly tag?: string;
}

const one = sql`1`;

/**
 * A page of the author's posts by the author's index, from the cursor down: the id's time
 * bounds the index range, the id itself the rows within one millisecond. One more row than
 * the page holds tells whether another follows.
 */
function postsRead(db: Db, query: PostsQuery): Batched<PostsPage> {
  const { maxId, limit, tag } = query;
  const rows = db
    .select()
    .from(notes)
    .where(
      and(
        eq(notes.attributedTo, query.author),
        inArray(notes.visibility, [...query.visibilities]),
        isNull(notes.deletedAt),
        maxId === undefined ? undefined : lte(notes.published, new Date(Number(maxId >> 16n))),
        idBetween(noteIdSql(), undefined, maxId),
        tag === undefined
          ? undefined
          : exists(
              db
                .select({ one })
                .from(noteTags)
                .where(
                  and(
                    eq(noteTags.noteSeq, notes.seq),
                    eq(noteTags.type, "Hashtag"),
                    eq(noteTags.name, tag),
                  ),
                ),
            ),
      ),
    )
    .orderBy(desc(notes.published), desc(notes.seq))
    .limit(limit + 1);
  return batched(rows, (read) => ({ notes: read.slice(0, limit), older: read.length > limit }));
}

const LISTED: readonly Visibility[] = ["public", "unlisted"];

export interface ProfilePage {
  readonly summary: ProfileSummary;
  /** The pinned posts anyone may see, newest pin first; none past the first page. */
  readonly pinned: readonly NoteRow[];
  readonly posts: PostsPage;
}

export interface ProfilePageQuery {
  /** The owner's actor id. */
  readonly actor: string;
  readonly defaults: OwnerProfile;
  readonly maxId?: bigint;
  readonly limit: number;
  /** The most pins shown (Mastodon allows 5). */
  readonly pins: number;
}

/** The profile page: counts and profile, pins (on the first page), public and unlisted posts. */
export async function readProfilePage(db: Db, query: ProfilePageQuery): Promise<ProfilePage> {
  const { actor, maxId } = query;
  const pins = db
    .select()
    .from(notes)
    .where(
      and(
        eq(notes.attributedTo, actor),
        isNotNull(notes.pinnedAt),
        inArray(notes.visibility, [...LISTED]),
        isNull(notes.deletedAt),
      ),
    )
    .orderBy(desc(notes.pinnedAt), desc(notes.seq))
    .limit(query.pins);
  const [summary, pinned, posts] = await readBatched(db, [
    profileSummaryRead(db, { actor, defaults: query.defaults }),
    maxId === undefined ? batched(pins, (rows) => rows) : known([]),
    postsRead(db, { author: actor, visibilities: LISTED, maxId, limit: query.limit }),
  ]);
  return { summary, pinned, posts };
}

/** Who wrote a reply, as stored (none for the owner, whose profile is not an actor row). */
export interface ReplyAuthor {
  readonly name: string | null;
  readonly username: string | null;
  readonly domain: string;
  readonly url: string | null;
}

export interface Reply {
  readonly note: NoteRow;
  readonly author: ReplyAuthor | null;
}

export interface NotePage {
  /** The note by that id, whoever wrote it and whatever it is: the route judges. */
  readonly note: NoteRow | undefined;
  readonly profile: Profile;
  /** Its replies anyone may see, oldest first. */
  readonly replies: readonly Reply[];
  /** Whether more replies than `replies` allows are stored. */
  readonly moreReplies: boolean;
}

export interface NotePageQuery {
  /** The note's id. */
  readonly id: string;
  readonly defaults: OwnerProfile;
  /** The most replies shown. */
  readonly replies: number;
  /** When a mute is in force (a muted account's replies are not shown). */
  readonly now: Date;
}

/**
 * A note's page: the note, the profile and its direct replies with their authors, in one
 * round trip (the note's id is its URL's, so the replies need not wait for the note). A reply
 * is shown when anyone may see it and its author is not kept away (blocked, muted, on a
 * blocked domain), the test made on the author's joined row (`shown.ts`).
 */
export async function readNotePage(db: Db, query: NotePageQuery): Promise<NotePage> {
  // The actor's columns under names of their own: D1 answers a batch's rows as objects, and
  // `url` would otherwise be the note's or the actor's, whichever came last.
  const replies = db
    .select({
      note: notes,
      name: sql<string | null>`${actors.name}`.as("author_name"),
      username: sql<string | null>`${actors.preferredUsername}`.as("author_username"),
      domain: sql<string | null>`${actors.domain}`.as("author_domain"),
      url: sql<string | null>`${actors.url}`.as("author_url"),
    })
    .from(notes)
    .leftJoin(actors, eq(actors.id, notes.attributedTo))
    .where(
      and(
        eq(notes.inReplyTo, query.id),
        inArray(notes.visibility, [...LISTED]),
        isNull(notes.deletedAt),
        joinedAuthorShown(
          { id: notes.attributedTo, domain: actors.domain },
          { now: query.now, in: "timelines" },
        ),
      ),
    )
    .orderBy(asc(notes.published), asc(notes.seq))
    .limit(query.replies + 1);
  const [note, profile, read] = await readBatched(db, [
    batched(db.select().from(notes).where(eq(notes.id, query.id)), ([row]) => row),
    batched(profileQuery(db), (rows) => effectiveProfile(query.defaults, rows)),
    batched(replies, (rows) =>
      rows.map(({ note, name, username, domain, url }) => ({
        note,
        author: domain === null ? null : { name, username, domain, url },
      })),
    ),
  ]);
  return {
    note,
    profile,
    replies: read.slice(0, query.replies),
    moreReplies: read.length > query.replies,
  };
}

export interface TagPage {
  readonly profile: Profile;
  readonly posts: PostsPage;
}

export interface TagPageQuery {
  readonly actor: string;
  /** The hashtag's stored name. */
  readonly tag: string;
  readonly defaults: OwnerProfile;
  readonly maxId?: bigint;
  readonly limit: number;
}

/** A hashtag's page: the owner's public posts that carry it, newest first, and the profile. */
export async function readTagPage(db: Db, query: TagPageQuery): Promise<TagPage> {
  const [profile, posts] = await readBatched(db, [
    batched(profileQuery(db), (rows) => effectiveProfile(query.defaults, rows)),
    postsRead(db, {
      author: query.actor,
      visibilities: ["public"],
      maxId: query.maxId,
      limit: query.limit,
      tag: query.tag,
    }),
  ]);
  return { profile, posts };
}
