/** Builders of note documents, from stored rows or from the owner's post about to be stored. */
import type { NoteAttachment, NoteColumns, NoteRow, NoteTagRow } from "../storage/schema";
import { CONTEXT } from "./context";

export type NoteTag = Pick<NoteTagRow, "type" | "name" | "href">;

/** A note's published lists (never `bto` and `bcc`, which are kept for delivery only). */
export interface NoteRelations {
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly tags: readonly NoteTag[];
}

/**
 * An attachment as Mastodon federates one (`ActivityPub::NoteSerializer::
 * MediaAttachmentSerializer`): type, media type, URL, alt text and blurhash always (null when
 * there is none), the focal point, width and height when known. Our own bookkeeping (the
 * upload's media id) stays home.
 */
export function toAttachment(attachment: NoteAttachment) {
  const { type, mediaType, url, name, blurhash, focalPoint, width, height } = attachment;
  return {
    type,
    mediaType: mediaType ?? null,
    url,
    name: name ?? null,
    blurhash: blurhash ?? null,
    ...(focalPoint === undefined ? {} : { focalPoint: [focalPoint[0], focalPoint[1]] }),
    ...(width === undefined ? {} : { width }),
    ...(height === undefined ? {} : { height }),
  };
}

/** A note as an ActivityStreams object, without `@context` (for embedding). */
export function toNote(row: NoteColumns, relations: NoteRelations) {
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
    to: relations.to,
    cc: relations.cc,
    attachment: (row.attachments ?? []).map(toAttachment),
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
