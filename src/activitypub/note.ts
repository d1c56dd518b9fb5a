/** Builders of note documents from stored rows. */
import type { NoteRecipientRow, NoteRow, NoteTagRow } from "../storage/schema";
import { CONTEXT } from "./context";

export interface NoteRelations {
  readonly recipients: readonly Pick<NoteRecipientRow, "recipient" | "field">[];
  readonly tags: readonly Pick<NoteTagRow, "type" | "name" | "href">[];
}

/** A note as an ActivityStreams object, without `@context` (for embedding). */
export function toNote(row: NoteRow, relations: NoteRelations) {
  // `bto` and `bcc` are blind: they are kept for delivery and never published.
  const to = relations.recipients.filter((r) => r.field === "to").map((r) => r.recipient);
  const cc = relations.recipients.filter((r) => r.field === "cc").map((r) => r.recipient);
  return {
    id: row.id,
    type: row.type,
    attributedTo: row.attributedTo,
    inReplyTo: row.inReplyTo,
    summary: row.summary,
    sensitive: row.sensitive,
    content: row.content,
    contentMap: row.language === null ? undefined : { [row.language]: row.content },
    published: row.published.toISOString(),
    updated: row.updated?.toISOString(),
    url: row.url ?? row.id,
    to,
    cc,
    attachment: row.attachments ?? [],
    tag: relations.tags.map((t) => ({
      type: t.type,
      name: t.type === "Hashtag" ? `#${t.name}` : t.type === "Mention" ? `@${t.name}` : t.name,
      href: t.href ?? undefined,
    })),
  };
}

export type ReactionCollection = "likes" | "shares";

/** The id of a note's `likes` or `shares` collection, under the note as on Mastodon. */
export const reactionCollectionId = (noteId: string, which: ReactionCollection) =>
  `${noteId}/${which}`;

/** How many liked or boosted the note, as a collection without items (Mastodon's shape). */
function reactionSummary(row: NoteRow, which: ReactionCollection) {
  return {
    id: reactionCollectionId(row.id, which),
    type: "Collection",
    totalItems: which === "likes" ? row.likesCount : row.sharesCount,
  };
}

/**
 * A note served on its own, with its like and boost counts. (Embedded in the activities we
 * store, a note goes without them: the counts would be stale there.)
 */
export function toNoteDocument(row: NoteRow, relations: NoteRelations) {
  return {
    "@context": CONTEXT,
    ...toNote(row, relations),
    likes: reactionSummary(row, "likes"),
    shares: reactionSummary(row, "shares"),
  };
}

/** A note's `likes` or `shares` collection: its size only, as Mastodon serves it. */
export function toReactionCollection(row: NoteRow, which: ReactionCollection) {
  return {
    "@context": CONTEXT,
    ...reactionSummary(row, which),
    type: "OrderedCollection",
  };
}

/** What a deleted note answers (with status 410), as Mastodon does. */
export function toTombstone(row: Pick<NoteRow, "id" | "deletedAt">) {
  return {
    "@context": CONTEXT,
    id: row.id,
    type: "Tombstone",
    deleted: row.deletedAt?.toISOString(),
  };
}
