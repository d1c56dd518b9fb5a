/**
 * Mastodon's `MediaAttachment` entity, for the owner's uploads (`POST /api/v2/media`, and
 * their own posts) and for remote notes' attachments alike: one shape, one serializer.
 */
import type { LocalUrls } from "../activitypub/urls";
import type { MediaKind, MediaRow, NoteAttachment } from "../storage/schema";
import { mediaId } from "./ids";

/** Mastodon's attachment type, or `unknown` for what it would not show. */
export type AttachmentType = MediaKind | "unknown";

/** The attachment type of a media type (an ActivityStreams `type` when there is none). */
export function attachmentTypeOf(mediaType: string | undefined, asType?: string): AttachmentType {
  const major = mediaType?.split("/")[0];
  if (major === "image" || asType === "Image") return "image";
  if (major === "video" || asType === "Video") return "video";
  if (major === "audio" || asType === "Audio") return "audio";
  return "unknown";
}

/** What the entity is made of, wherever it came from. */
export interface AttachmentView {
  readonly id: string;
  readonly type: AttachmentType;
  readonly url: string;
  /** A smaller version to show in a timeline: the file itself where there is no other. */
  readonly previewUrl: string | null;
  /** The file's address on its own server, for a remote one. */
  readonly remoteUrl: string | null;
  readonly description: string | null;
  readonly width?: number | null;
  readonly height?: number | null;
  readonly blurhash?: string | null;
  readonly focus?: readonly [number, number] | null;
}

/** `meta.original` (and `meta.small`, the same here) as Mastodon describes an image. */
function metaOf(view: AttachmentView) {
  const { width, height, focus } = view;
  const size =
    width && height && width > 0 && height > 0
      ? { width, height, size: `${width}x${height}`, aspect: width / height }
      : undefined;
  const meta = {
    ...(size === undefined ? {} : { original: size, small: size }),
    ...(focus ? { focus: { x: focus[0], y: focus[1] } } : {}),
  };
  return Object.keys(meta).length === 0 ? null : meta;
}

export function serializeAttachment(view: AttachmentView) {
  return {
    id: view.id,
    type: view.type,
    url: view.url,
    preview_url: view.previewUrl,
    remote_url: view.remoteUrl,
    preview_remote_url: null,
    text_url: null,
    meta: metaOf(view),
    description: view.description,
    blurhash: view.blurhash ?? null,
  };
}
export type MastodonAttachment = ReturnType<typeof serializeAttachment>;

/** One of the owner's uploads, attached or not. */
export function mediaView(row: MediaRow, urls: Pick<LocalUrls, "media">): AttachmentView {
  const url = urls.media(row.key);
  return {
    id: mediaId(row),
    type: row.kind,
    url,
    previewUrl: row.kind === "audio" ? null : url,
    remoteUrl: null,
    description: row.description,
    width: row.width,
    height: row.height,
    blurhash: row.blurhash,
    focus: row.focusX === null || row.focusY === null ? null : [row.focusX, row.focusY],
  };
}

/**
 * An attachment as a note carries it: the owner's own upload (it has its media id, and is
 * served from here) or a remote file (`id`: the synthetic id `attachmentId` gives it).
 */
export function noteAttachmentView(
  attachment: NoteAttachment,
  options: { id: string; local: boolean },
): AttachmentView {
  const type = attachmentTypeOf(attachment.mediaType, attachment.type);
  return {
    id: attachment.mediaId ?? options.id,
    type,
    url: attachment.url,
    previewUrl: type === "audio" ? null : attachment.url,
    remoteUrl: options.local ? null : attachment.url,
    description: attachment.name ?? null,
    width: attachment.width,
    height: attachment.height,
    blurhash: attachment.blurhash,
    focus: attachment.focalPoint,
  };
}
