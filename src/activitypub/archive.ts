/**
 * The documents of the owner's archive, laid out as Mastodon's archive takeout lays them out
 * (`app/services/backup_service.rb`): `actor.json` whose `outbox`, `likes` and `bookmarks`
 * name the archive's own files and whose pictures are `avatar.<ext>` and `header.<ext>`;
 * `outbox.json`, `likes.json` and `bookmarks.json`, OrderedCollections of everything; our
 * own files under the path of their URL (`media/attachments/<name>`), which the activities'
 * attachments name instead of the URL. Pure: what to read and fetch is the caller's.
 */

export const ARCHIVE_FILES = {
  actor: "actor.json",
  outbox: "outbox.json",
  likes: "likes.json",
  bookmarks: "bookmarks.json",
} as const;

type Json = Record<string, unknown>;

/** Where one of our files (its bucket key) is in the archive: its URL's path, relative. */
export const archivePathOf = (key: string): string => `media/${key}`;

/**
 * The bucket key of one of our files from its URL (`<origin>/media/<key>`); undefined for
 * another server's file, or a key that could not be a plain relative path in the archive.
 */
export function mediaKeyOf(url: string, mediaPrefix: string): string | undefined {
  if (!url.startsWith(mediaPrefix)) return undefined;
  const segments = url.slice(mediaPrefix.length).split("/");
  try {
    const decoded = segments.map(decodeURIComponent);
    const unsafe = (s: string) =>
      s === "" || s === "." || s === ".." || [...s].some((ch) => ch < " " || ch === "\\");
    return decoded.some(unsafe) ? undefined : decoded.join("/");
  } catch {
    return undefined;
  }
}

/** The owner's pictures as the archive holds them (Mastodon's names), when they are ours. */
export interface ArchivePictures {
  readonly avatar?: string;
  readonly header?: string;
}

/** The name of a picture in the archive: `avatar` or `header` with its key's extension. */
export function pictureName(kind: "avatar" | "header", key: string): string {
  const ext = key.match(/\.[a-z0-9]{1,8}$/i)?.[0] ?? "";
  return `${kind}${ext.toLowerCase()}`;
}

/** The actor as served, its links made the archive's files (Mastodon's `dump_actor!`). */
export function toArchiveActor(actor: Json, pictures: ArchivePictures): Json {
  const picture = (value: unknown, name: string | undefined) =>
    name !== undefined && typeof value === "object" && value !== null
      ? { ...value, url: name }
      : value;
  return {
    ...actor,
    icon: picture(actor.icon, pictures.avatar),
    image: picture(actor.image, pictures.header),
    outbox: ARCHIVE_FILES.outbox,
    likes: ARCHIVE_FILES.likes,
    bookmarks: ARCHIVE_FILES.bookmarks,
  };
}

/**
 * A post or boost as the archive holds it: without a context (the collection has it), our
 * files' URLs made their paths in the archive (`archivePath` answers for ours alone).
 */
export function toArchiveActivity(
  activity: Json,
  archivePath: (url: string) => string | undefined,
): Json {
  const { "@context": _context, ...rest } = activity;
  const object = rest.object;
  if (typeof object !== "object" || object === null || !("attachment" in object)) return rest;
  const attachments = (object as Json).attachment;
  if (!Array.isArray(attachments)) return rest;
  const attachment = attachments.map((a: unknown) => {
    if (typeof a !== "object" || a === null) return a;
    const url = (a as Json).url;
    const path = typeof url === "string" ? archivePath(url) : undefined;
    return path === undefined ? a : { ...a, url: path };
  });
  return { ...rest, object: { ...object, attachment } };
}

/** The opening of a streamed OrderedCollection of the archive: its items follow. */
export function collectionOpening(context: unknown, id: string): string {
  const head = JSON.stringify({ "@context": context, id, type: "OrderedCollection" });
  return `${head.slice(0, -1)},"orderedItems":[`;
}

/** The end of a streamed collection, once its items are counted. */
export const collectionEnd = (totalItems: number): string => `],"totalItems":${totalItems}}`;
