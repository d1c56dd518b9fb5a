/**
 * Mastodon's Tag entity for a hashtag name. Outpost keeps no table of tags (only which note
 * holds which, `note_tags`) and no per-day counts, so a tag's id is derived from its name and
 * its history is empty (its trends are too: `http/api/startup.ts`).
 */
import type { Config } from "../env";

export interface MastodonTag {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly history: readonly { day: string; uses: string; accounts: string }[];
  readonly following: boolean;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = (1n << 64n) - 1n;

/**
 * A stable id for a name: FNV-1a over its UTF-8 bytes, 63 bits, so that it is a positive
 * 64-bit number like the ids of Mastodon's tags table. Never looked up, only shown.
 */
export function tagId(name: string): string {
  let hash = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(name)) {
    hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & MASK_64;
  }
  return (hash >> 1n).toString();
}

/** A hashtag (its name as stored: lower-cased, without `#`). */
export function serializeTag(config: Pick<Config, "origin">, name: string): MastodonTag {
  return {
    id: tagId(name),
    name,
    url: `${config.origin}/tags/${encodeURIComponent(name)}`,
    history: [],
    following: false,
  };
}
