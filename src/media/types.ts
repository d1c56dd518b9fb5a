/** What processing an upload makes of it (`process.ts`), and what storing it needs. */
import type { MediaKind } from "../storage/schema";

/**
 * The longest alt text, in characters (Mastodon's `MediaAttachment::MAX_DESCRIPTION_LENGTH`):
 * an upload's or an edit's longer one is refused, a remote one cut.
 */
export const MAX_DESCRIPTION_LENGTH = 1500;

/** An upload checked by its bytes, stripped of metadata, described: ready to store. */
export interface ProcessedFile {
  readonly kind: MediaKind;
  /** The type its bytes say it is. */
  readonly mediaType: string;
  /** The extension its key ends in (no dot), from `mediaType`. */
  readonly extension: string;
  /** The bytes to store, and how many there are (R2 needs the length of a stream). */
  readonly body: ReadableStream<Uint8Array> | Uint8Array;
  readonly size: number;
  readonly width?: number;
  readonly height?: number;
  readonly blurhash?: string;
}

/** An upload refused, with the reason the client is told (413 too large, 422 otherwise). */
export interface RefusedFile {
  readonly status: 413 | 422;
  readonly reason: string;
}

export type Processed = { ok: true; file: ProcessedFile } | ({ ok: false } & RefusedFile);
