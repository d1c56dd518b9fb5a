/**
 * The owner's uploads a post names (`media_ids`): checked as Mastodon's `PostStatusService`
 * and `UpdateStatusService` check them, described as an edit's `media_attributes` say, and
 * made the note's attachments (`NoteAttachment`, what the note stores and federates). The
 * files are attached in the post's own batch (`attachMediaStatements`).
 */
import type { LocalUrls } from "../../activitypub/urls";
import type { AppContext } from "../../context";
import { mediaId, parseMastodonId } from "../../mastodon/ids";
import { MAX_MEDIA_ATTACHMENTS } from "../../mastodon/instance";
import {
  attachmentsByApiIds,
  describeMedia,
  isDeletedNote,
  mediaByApiId,
  mediaOfNote,
} from "../../storage/media";
import type { MediaRow, NoteAttachment } from "../../storage/schema";
import { type ActionResult, fail } from "./commit";

/** An edit's change to one attached file (Mastodon's `media_attributes[]`). */
export interface MediaAttribute {
  /** The file's Mastodon media id. */
  readonly id: string;
  /** Alt text; null clears it. */
  readonly description?: string | null;
  /** The focal point; null clears it. */
  readonly focus?: readonly [number, number] | null;
}

/** Why one named file cannot be attached: it is not one, or not free. */
async function refusal(
  ctx: Pick<AppContext, "db">,
  id: string,
  parsed: bigint | undefined,
): Promise<ActionResult<never>> {
  const row = parsed === undefined ? undefined : await mediaByApiId(ctx.db, parsed);
  if (row === undefined) return fail(422, `Media ${id} not found`);
  return fail(422, `Media ${id} is the profile's ${row.purpose}, not an attachment`);
}

/**
 * The files `ids` name, in that order (a repeated id counts once), when each is one of the
 * owner's attachments, free, already on `note` (an edit's own) or left by a deleted post (a
 * redraft), and they go together: at
 * most four, and a video or audio file alone, as Mastodon has it. Otherwise the first
 * reason, a 422.
 */
export async function chooseMedia(
  ctx: Pick<AppContext, "db">,
  ids: readonly string[],
  note?: string,
): Promise<ActionResult<MediaRow[]>> {
  if (ids.length > MAX_MEDIA_ATTACHMENTS) {
    return fail(422, `Cannot attach more than ${MAX_MEDIA_ATTACHMENTS} files`);
  }
  const parsed = ids.map((id) => ({ id, value: parseMastodonId(id.trim()) }));
  const wanted = [...new Set(parsed.flatMap((p) => (p.value === undefined ? [] : [p.value])))];
  const rows = await attachmentsByApiIds(ctx.db, wanted);
  const byId = new Map(rows.map((row) => [BigInt(mediaId(row)), row]));
  const chosen: MediaRow[] = [];
  for (const { id, value } of parsed) {
    const row = value === undefined ? undefined : byId.get(value);
    if (row === undefined) return refusal(ctx, id, value);
    if (row.note !== null && row.note !== note && !(await isDeletedNote(ctx.db, row.note))) {
      return fail(422, `Media ${id} is already attached to another post`);
    }
    if (!chosen.includes(row)) chosen.push(row);
  }
  if (chosen.length > 1 && chosen.some((row) => row.kind === "video" || row.kind === "audio")) {
    return fail(422, "Cannot attach a video to a post that already contains images");
  }
  return { ok: true, value: chosen };
}

/**
 * The files of an edit, unchanged yet: those `ids` name when given (the set is replaced),
 * else the note's own.
 */
export async function mediaOfEdit(
  ctx: Pick<AppContext, "db">,
  edit: { readonly note: string; readonly ids: readonly string[] | undefined },
): Promise<ActionResult<MediaRow[]>> {
  if (edit.ids !== undefined) return chooseMedia(ctx, edit.ids, edit.note);
  return { ok: true, value: await mediaOfNote(ctx.db, edit.note) };
}

/**
 * Changes the alt text and focus of the files among `rows` that `attributes` name, as
 * Mastodon applies `media_attributes` to an edit's files only (another post's file is not
 * touched); the rows as they are afterwards, in their order. Written at once, before the
 * edit's batch: should that fail, the next edit is made of the described files.
 */
export async function describeAttached(
  ctx: Pick<AppContext, "db">,
  rows: readonly MediaRow[],
  attributes: readonly MediaAttribute[],
): Promise<MediaRow[]> {
  const described: MediaRow[] = [];
  for (const row of rows) {
    const id = BigInt(mediaId(row));
    const change = attributes.findLast((a) => parseMastodonId(a.id.trim()) === id);
    const after =
      change === undefined
        ? row
        : await describeMedia(ctx.db, row.seq, {
            description: change.description,
            focus: change.focus,
          });
    described.push(after ?? row);
  }
  return described;
}

/**
 * An upload as a note carries it, in the shape Mastodon federates (`Document`, its type, URL,
 * alt text, blurhash, focal point, size), with its media id for the client API.
 */
export function toNoteAttachment(row: MediaRow, urls: Pick<LocalUrls, "media">): NoteAttachment {
  const focus: readonly [number, number] | undefined =
    row.focusX === null || row.focusY === null ? undefined : [row.focusX, row.focusY];
  return {
    type: "Document",
    mediaType: row.mediaType,
    url: urls.media(row.key),
    ...(row.description === null || row.description === "" ? {} : { name: row.description }),
    ...(row.width === null ? {} : { width: row.width }),
    ...(row.height === null ? {} : { height: row.height }),
    ...(row.blurhash === null ? {} : { blurhash: row.blurhash }),
    ...(focus === undefined ? {} : { focalPoint: focus }),
    mediaId: mediaId(row),
  };
}
