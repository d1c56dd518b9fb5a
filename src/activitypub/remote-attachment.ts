/**
 * Reading the files of remote notes as the fediverse writes them: Mastodon's `Document` (alt
 * text in `name`, `blurhash`, `focalPoint`, `width`, `height`), Pixelfed's and GoToSocial's
 * `Image` (GoToSocial's alt text in `summary`, which Mastodon reads first too), Misskey's
 * `Document`, and PeerTube's `Video`, whose files are the `Link`s of its `url` (the HLS
 * playlist's files nested in its `tag`). Everything kept is bounded: the lists read, each
 * string's length, the numbers' ranges; what is malformed is left out, not refused.
 */
import { MAX_DESCRIPTION_LENGTH } from "../media/types";
import type { NoteAttachment } from "../storage/schema";
import {
  asArray,
  asString,
  asUrl,
  capped,
  isObject,
  type JsonObject,
  localized,
  typeOf,
} from "./parse";

/** The most `Link`s read of a `url` list, and of each link's nested `tag` (PeerTube's ~20). */
export const MAX_LINKS = 32;

/** The most attachments kept of a note (Misskey allows 16, Mastodon 4). */
export const MAX_ATTACHMENTS = 16;

/** The largest width or height believed, in pixels. */
const MAX_DIMENSION = 100_000;

/** The resolution a PeerTube video is shown at, at most, when it offers several. */
const PREFERRED_VIDEO_HEIGHT = 720;

/** Media types a browser plays in `<video>` (Mastodon's clients too). */
const PLAYABLE_VIDEO = new Set(["video/mp4", "video/webm"]);

/** A link of a `url` list, as read. */
interface MediaLink {
  readonly href: string;
  readonly mediaType?: string;
  readonly width?: number;
  readonly height?: number;
}

/** `type/subtype`, lower-cased, without parameters; undefined when it is not one. */
function asMediaType(value: unknown): string | undefined {
  const type = asString(value)?.split(";")[0]?.trim().toLowerCase();
  return type !== undefined && type.length <= 255 && /^[a-z0-9][\w.+-]*\/[\w.+-]+$/.test(type)
    ? type
    : undefined;
}

/** A positive whole number of pixels. */
function asDimension(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value > 0 && value <= MAX_DIMENSION
    ? value
    : undefined;
}

/** Alt text: `summary` first (GoToSocial), then `name`, as Mastodon reads it; trimmed, cut. */
function altText(item: JsonObject): string | undefined {
  const text = localized(item, "summary").text?.trim() || localized(item, "name").text?.trim();
  return text ? text.slice(0, MAX_DESCRIPTION_LENGTH) : undefined;
}

const BASE83 =
  "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

/**
 * A blurhash as Mastodon takes one: its characters, at most 5 × 5 components (which bounds
 * its length to 54), and the length its components make.
 */
function asBlurhash(value: unknown): string | undefined {
  const hash = asString(value);
  if (hash === undefined || hash.length < 6 || hash.length > 54) return undefined;
  if ([...hash].some((ch) => !BASE83.includes(ch))) return undefined;
  const size = BASE83.indexOf(hash[0] ?? "");
  const x = (size % 9) + 1;
  const y = Math.floor(size / 9) + 1;
  return x <= 5 && y <= 5 && hash.length === 4 + 2 * x * y ? hash : undefined;
}

/** Mastodon's `focalPoint`: two numbers, each kept within [-1, 1]. */
function asFocalPoint(value: unknown): readonly [number, number] | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [x, y] = value as unknown[];
  if (typeof x !== "number" || typeof y !== "number") return undefined;
  if (!Number.isFinite(x) || !Number.isFinite(y)) return undefined;
  const clamp = (n: number) => Math.min(Math.max(n, -1), 1);
  return [clamp(x), clamp(y)];
}

/** One link: a URL string, or a `Link` (`mediaType`, PeerTube's old `mimeType`). */
function readLink(value: unknown): MediaLink | undefined {
  if (!isObject(value)) {
    const href = asUrl(value);
    return href === undefined ? undefined : { href };
  }
  const href = asUrl(value.href) ?? asUrl(value.url);
  if (href === undefined) return undefined;
  return {
    href,
    mediaType: asMediaType(value.mediaType) ?? asMediaType(value.mimeType),
    width: asDimension(value.width),
    height: asDimension(value.height),
  };
}

/** The links of a `url`, with those nested in each link's `tag` (PeerTube's HLS files). */
function readLinks(value: unknown): MediaLink[] {
  const entries = asArray(value).slice(0, MAX_LINKS);
  const nested = entries.flatMap((entry) =>
    isObject(entry) ? asArray(entry.tag).slice(0, MAX_LINKS) : [],
  );
  return [...entries, ...nested].flatMap((entry) => readLink(entry) ?? []);
}

const isPage = (link: MediaLink) => link.mediaType?.startsWith("text/html") === true;

/** The file an attachment's `url` names: of a list, the one of its type, else not a page. */
function fileLink(links: readonly MediaLink[], mediaType: string | undefined) {
  return (
    links.find((l) => mediaType !== undefined && l.mediaType === mediaType) ??
    links.find((l) => !isPage(l)) ??
    links[0]
  );
}

/**
 * The video to show of several: a playable file at the largest height up to 720 (else the
 * smallest above), the first when none says its height.
 */
function playableVideo(links: readonly MediaLink[]): MediaLink | undefined {
  const playable = links.filter(
    (l) => l.mediaType !== undefined && PLAYABLE_VIDEO.has(l.mediaType),
  );
  const sized = playable.filter((l) => l.height !== undefined);
  const height = (l: MediaLink) => l.height ?? 0;
  const fitting = sized.filter((l) => height(l) <= PREFERRED_VIDEO_HEIGHT);
  const best =
    fitting.length > 0
      ? fitting.reduce((a, b) => (height(b) > height(a) ? b : a))
      : sized.reduce<MediaLink | undefined>(
          (a, b) => (a === undefined || height(b) < height(a) ? b : a),
          undefined,
        );
  return best ?? playable[0];
}

/** One entry of a note's `attachment`, or undefined when it names no file. */
function parseAttachment(item: unknown): NoteAttachment | undefined {
  if (!isObject(item)) return undefined;
  const declared = asMediaType(item.mediaType);
  const link = fileLink(readLinks(item.url ?? item.href), declared);
  if (link === undefined) return undefined;
  const type = typeOf(item);
  const mediaType = declared ?? link.mediaType;
  const name = altText(item);
  const width = asDimension(item.width) ?? link.width;
  const height = asDimension(item.height) ?? link.height;
  const blurhash = asBlurhash(item.blurhash);
  const focalPoint = asFocalPoint(item.focalPoint);
  return {
    type: type !== undefined && type.length <= 64 ? type : "Document",
    url: link.href,
    ...(mediaType === undefined ? {} : { mediaType }),
    ...(name === undefined ? {} : { name }),
    ...(width === undefined ? {} : { width }),
    ...(height === undefined ? {} : { height }),
    ...(blurhash === undefined ? {} : { blurhash }),
    ...(focalPoint === undefined ? {} : { focalPoint }),
  };
}

/** A note's `attachment`: its first `MAX_ATTACHMENTS` entries that name a file. */
export function parseAttachments(value: unknown): NoteAttachment[] {
  return capped(value, { max: MAX_ATTACHMENTS, list: "attachment" }).flatMap(
    (item) => parseAttachment(item) ?? [],
  );
}

/**
 * The file of a PeerTube `Video`, which carries it in `url` (a list of `Link`s: its page,
 * an HLS playlist with its files, MP4s at several heights, torrents): the video to play, its
 * title as the alt text. Undefined when it offers none a browser plays.
 */
export function videoAttachment(object: JsonObject): NoteAttachment | undefined {
  const link = playableVideo(readLinks(object.url));
  if (link === undefined) return undefined;
  const name = localized(object, "name").text?.trim().slice(0, MAX_DESCRIPTION_LENGTH);
  return {
    type: "Video",
    url: link.href,
    ...(link.mediaType === undefined ? {} : { mediaType: link.mediaType }),
    ...(name ? { name } : {}),
    ...(link.width === undefined ? {} : { width: link.width }),
    ...(link.height === undefined ? {} : { height: link.height }),
  };
}
