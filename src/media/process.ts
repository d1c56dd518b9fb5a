/**
 * From an upload to a file ready to store: its type decided by its bytes, its size checked
 * against Mastodon's limits for that type, its metadata stripped, its dimensions read from
 * its headers, its blurhash computed where that fits the Worker's CPU budget. Refusals carry
 * the reason the client is told: 413 for what is too large, 422 for everything else.
 */
import type { MediaPurpose } from "../storage/schema";
import { blurhashOf } from "./blurhash";
import { dimensionsOf } from "./dimensions";
import { FORMATS, type Format, SNIFF_BYTES, sniff } from "./sniff";
import { stripMetadata } from "./strip";
import { Malformed } from "./strip-malformed";
import type { Processed } from "./types";

const MB = 1024 * 1024;

/**
 * What this server takes: Mastodon 4.3's limits (`/api/v2/instance` announces the same,
 * which `test/media-upload.test.ts` checks). An avatar or header is served as it was sent
 * (nothing here resizes it), so it keeps Mastodon's long-standing 2 MB limit, not the 8 MB
 * that 4.3 takes when it shrinks the picture to 400 × 400 itself.
 */
export const MEDIA_LIMITS = {
  image: 16 * MB,
  video: 99 * MB,
  audio: 99 * MB,
  profile: 2 * MB,
  /** 7680 × 4320 pixels: clients shrink larger pictures to fit before uploading. */
  imageMatrix: 33_177_600,
  /** 3840 × 2160 pixels. */
  videoMatrix: 8_294_400,
} as const;

/** The most bytes an upload for `purpose` may have, whatever its type. */
export function maxUploadBytes(purpose: MediaPurpose): number {
  return purpose === "attachment" ? MEDIA_LIMITS.video : MEDIA_LIMITS.profile;
}

/** What an avatar or a header may be (Mastodon's `IMAGE_MIME_TYPES` for them). */
const PROFILE_FORMATS: ReadonlySet<Format> = new Set(["jpeg", "png", "gif", "webp"]);

/** The formats' names, as a person reads them. */
const NAMES: Record<Format, string> = {
  jpeg: "JPEG",
  png: "PNG",
  gif: "GIF",
  webp: "WebP",
  avif: "AVIF",
  mp4: "MP4",
  webm: "WebM",
  mp3: "MP3",
  ogg: "Ogg",
};

/** What each purpose's file is called in a refusal. */
const CALLED: Record<MediaPurpose, string> = {
  attachment: "a file",
  avatar: "an avatar",
  header: "a header",
};

const refuse = (status: 413 | 422, reason: string): Processed => ({ ok: false, status, reason });

/** Bytes handed to R2 in pieces of this size, so that a large file is not copied whole. */
const CHUNK = MB;

/** A stream over `bytes`, one copied piece at a time (a view would share the buffer). */
function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(at, at + CHUNK));
      at += CHUNK;
    },
  });
}

/** The limits of a purpose and kind: bytes, pixels, and what the refusal calls them. */
function limitsFor(purpose: MediaPurpose, format: Format) {
  const { kind } = FORMATS[format];
  if (purpose !== "attachment") {
    return { bytes: MEDIA_LIMITS.profile, pixels: MEDIA_LIMITS.imageMatrix, what: CALLED[purpose] };
  }
  if (kind === "image") {
    return { bytes: MEDIA_LIMITS.image, pixels: MEDIA_LIMITS.imageMatrix, what: "an image" };
  }
  return {
    bytes: MEDIA_LIMITS[kind === "audio" ? "audio" : "video"],
    pixels: MEDIA_LIMITS.videoMatrix,
    what: kind === "audio" ? "a sound" : "a video",
  };
}

/**
 * Processes an upload held in memory. `bytes` is given up: MP4, AVIF and WebM files are
 * stripped in place, and the file stored may be a view of it.
 */
export async function processBytes(bytes: Uint8Array, purpose: MediaPurpose): Promise<Processed> {
  const format = sniff(bytes.subarray(0, SNIFF_BYTES));
  if (format === undefined) {
    return refuse(
      422,
      "The file is not an image, video or audio type this server takes (JPEG, PNG, GIF, WebP, AVIF, MP4, WebM, MP3 or Ogg)",
    );
  }
  if (purpose !== "attachment" && !PROFILE_FORMATS.has(format)) {
    const called = CALLED[purpose];
    return refuse(
      422,
      `${called[0]?.toUpperCase()}${called.slice(1)} must be a JPEG, PNG, GIF or WebP image`,
    );
  }
  const limits = limitsFor(purpose, format);
  if (bytes.length > limits.bytes) {
    return refuse(
      413,
      `The file is larger than ${limits.bytes / MB} MB, the most this server takes for ${limits.what}`,
    );
  }
  let stripped: ReturnType<typeof stripMetadata>;
  try {
    stripped = stripMetadata(format, bytes);
  } catch (error) {
    if (!(error instanceof Malformed)) throw error;
    return refuse(422, `The file could not be read as ${NAMES[format]}: ${error.message}`);
  }
  const size = dimensionsOf(format, stripped.bytes, stripped.orientation);
  if (size !== undefined && size.width * size.height > limits.pixels) {
    const megapixels = Math.round(limits.pixels / 1e6);
    return refuse(
      422,
      `The file is larger than ${megapixels} megapixels, the most this server takes for ${limits.what}`,
    );
  }
  const { kind, mediaType, extension } = FORMATS[format];
  const blurhash = await blurhashOf(format, stripped, size);
  const body = stripped.bytes.length > CHUNK ? streamOf(stripped.bytes) : stripped.bytes;
  return {
    ok: true,
    file: {
      kind,
      mediaType,
      extension,
      body,
      size: stripped.bytes.length,
      ...(size === undefined ? {} : { width: size.width, height: size.height }),
      ...(blurhash === undefined ? {} : { blurhash }),
    },
  };
}

/**
 * Processes an uploaded `File` (an avatar's, a header's: a form's file is in memory
 * already). A file over the purpose's largest size is refused unread.
 */
export async function processUpload(file: File, purpose: MediaPurpose): Promise<Processed> {
  const most = maxUploadBytes(purpose);
  if (file.size > most) {
    return refuse(
      413,
      `The file is larger than ${most / MB} MB, the most this server takes for ${CALLED[purpose]}`,
    );
  }
  return processBytes(new Uint8Array(await file.arrayBuffer()), purpose);
}
