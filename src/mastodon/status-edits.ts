/**
 * Mastodon's StatusEdit (one version of a status, for its edit history) and StatusSource
 * (what the owner wrote, to edit it). A version is shown as the status would have been with
 * its text, so that its media and account are serialised as the status's are. Pure.
 */
import type { NoteRow } from "../storage/schema";
import { noteId } from "./ids";
import type { MastodonStatus } from "./serialize";

/** One version of a status: the status as it was, made at `createdAt`. */
export function serializeStatusEdit(status: MastodonStatus, createdAt: Date) {
  return {
    content: status.content,
    spoiler_text: status.spoiler_text,
    sensitive: status.sensitive,
    created_at: createdAt.toISOString(),
    account: status.account,
    media_attachments: status.media_attachments,
    emojis: status.emojis,
  };
}

export type MastodonStatusEdit = ReturnType<typeof serializeStatusEdit>;

/** The text the owner wrote and their content warning, by the status's id. */
export function serializeStatusSource(note: NoteRow, text: string) {
  return { id: noteId(note), text, spoiler_text: note.summary ?? "" };
}
