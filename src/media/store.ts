/**
 * Puts a processed upload in the media bucket under a key no one can guess, then its row in
 * D1. The object goes first: a row always names a file that exists. A file whose row was
 * never written (the Worker stopped in between) is named by nothing and served to no one who
 * does not hold its key; nothing removes it yet (the sweep walks rows, not the bucket).
 */
import type { AppContext } from "../context";
import { insertMedia } from "../storage/media";
import type { MediaPurpose, MediaRow } from "../storage/schema";
import type { ProcessedFile } from "./types";

/** Where each purpose's files live in the bucket. */
const PREFIX: Record<MediaPurpose, string> = {
  attachment: "attachments",
  avatar: "avatars",
  header: "headers",
};

/** 128 random bits, as 32 lower-case hex digits. */
function randomName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A new key for a file of this purpose: `attachments/<32 hex>.jpg`. */
export function newMediaKey(purpose: MediaPurpose, extension: string): string {
  return `${PREFIX[purpose]}/${randomName()}.${extension}`;
}

/** What storing a file adds to what processing found. */
export interface SaveOptions {
  readonly purpose: MediaPurpose;
  readonly description?: string | null;
  readonly focus?: readonly [number, number] | null;
}

/** Stores the file and its row; the row. */
export async function saveMedia(
  ctx: Pick<AppContext, "db" | "bucket" | "now">,
  file: ProcessedFile,
  options: SaveOptions,
): Promise<MediaRow> {
  const key = newMediaKey(options.purpose, file.extension);
  const body =
    file.body instanceof Uint8Array
      ? file.body
      : file.body.pipeThrough(new FixedLengthStream(file.size));
  await ctx.bucket.put(key, body, {
    httpMetadata: {
      contentType: file.mediaType,
      cacheControl: "public, max-age=31536000, immutable",
    },
  });
  return insertMedia(ctx.db, {
    key,
    purpose: options.purpose,
    kind: file.kind,
    mediaType: file.mediaType,
    size: file.size,
    width: file.width ?? null,
    height: file.height ?? null,
    blurhash: file.blurhash ?? null,
    description: options.description ?? null,
    focusX: options.focus?.[0] ?? null,
    focusY: options.focus?.[1] ?? null,
    createdAt: ctx.now(),
  });
}
