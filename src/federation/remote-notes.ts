/**
 * Remote notes: which ones concern the owner, and how a parsed one becomes what we store
 * (its HTML sanitised, its times defaulted to when it arrived, and never after it).
 */
import type { NoteRelations } from "../activitypub/note";
import type { ParsedNote } from "../activitypub/remote-note";
import { sanitizeHtml } from "../activitypub/sanitize";
import type { AppContext } from "../context";
import { findFollow } from "../storage/follows";
import type { NoteEdit, NoteInput } from "../storage/notes";
import type { Visibility } from "../storage/schema";

/**
 * A note concerns the owner when it is addressed to them, mentions them, replies to one of
 * their notes, or comes from someone they follow. Others are acknowledged and not kept.
 */
export async function concernsOwner(
  ctx: Pick<AppContext, "db" | "config">,
  note: ParsedNote,
): Promise<boolean> {
  const owner = ctx.config.urls.owner.id;
  if (addressesOwner(owner, note)) return true;
  const follow = await findFollow(ctx.db, { actor: note.attributedTo, follower: owner });
  return follow?.state === "accepted";
}

/**
 * What of `concernsOwner` the note itself says, without a read: addressed to the owner,
 * mentioning them, or replying to one of their notes.
 */
export function addressesOwner(owner: string, note: ParsedNote): boolean {
  if (note.to.includes(owner) || note.cc.includes(owner)) return true;
  if (note.tags.some((t) => t.type === "Mention" && t.href === owner)) return true;
  return note.inReplyTo?.startsWith(`${owner}/statuses/`) === true;
}

const relationsOf = (note: ParsedNote): NoteRelations => ({
  to: note.to,
  cc: note.cc,
  tags: note.tags,
});

/**
 * When a note was published, as stored: what it says, kept between the epoch and its
 * arrival, or its arrival when it says nothing. The time is its status id's (ids sort the
 * timelines), so a note dated in the future would stay on top of them for good; Mastodon
 * does not take future dates either.
 */
export function publishedAt(note: Pick<ParsedNote, "published">, receivedAt: Date): Date {
  const arrival = receivedAt.getTime();
  const said = note.published?.getTime() ?? arrival;
  return new Date(Math.min(Math.max(said, 0), arrival));
}

/** An edit of a remote note, as stored: sanitised, `updated` defaulting to its arrival. */
export async function remoteEdit(note: ParsedNote, receivedAt: Date): Promise<NoteEdit> {
  return {
    note: {
      id: note.id,
      type: note.type,
      attributedTo: note.attributedTo,
      inReplyTo: note.inReplyTo ?? null,
      content: await sanitizeHtml(note.content),
      summary: note.summary ?? null,
      sensitive: note.sensitive,
      language: note.language ?? null,
      url: note.url ?? null,
      attachments: [...note.attachments],
      published: publishedAt(note, receivedAt),
      updated: note.updated ?? receivedAt,
    },
    relations: relationsOf(note),
  };
}

/** A new remote note, as stored: sanitised, `published` within [0, its arrival]. */
export async function remoteNote(
  note: ParsedNote,
  input: { visibility: Visibility; receivedAt: Date },
): Promise<NoteInput> {
  const edit = await remoteEdit(note, input.receivedAt);
  return {
    note: { ...edit.note, visibility: input.visibility, updated: note.updated ?? null },
    relations: edit.relations,
  };
}
