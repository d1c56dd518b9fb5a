/**
 * The owner's archive, as Mastodon's archive takeout (`activitypub/archive.ts` says what
 * it holds), made as it is downloaded: a zip streamed through fflate, its documents read a
 * page at a time and deflated, our media files piped from R2 and stored as they are. The
 * media it holds are bounded (`MAX_ARCHIVE_MEDIA_BYTES`: fflate writes no Zip64, so the
 * archive stays well under 4 GiB), and so are the calls it makes (`MAX_ARCHIVE_CALLS`:
 * past Cloudflare's limit, the download would end mid-stream, a corrupt zip); files past
 * either bound, or missing from the bucket, are listed in `missing_media.json` rather than
 * left out silently.
 */
import { toActor } from "../../activitypub/actor";
import {
  ARCHIVE_FILES,
  archivePathOf,
  collectionEnd,
  collectionOpening,
  mediaKeyOf,
  pictureName,
  toArchiveActivity,
  toArchiveActor,
} from "../../activitypub/archive";
import { CONTEXT } from "../../activitypub/context";
import type { AppContext } from "../../context";
import { type ZipEntry, zipStream } from "../../lib/zip-stream";
import { bookmarkedNotes, likedNotes, postedActivities, type Walk } from "../../storage/exports";
import { readOwner } from "../../storage/owner-profile";
import { walkPages } from "./csv";

/** The most media bytes an archive holds: half of what a zip without Zip64 can address. */
export const MAX_ARCHIVE_MEDIA_BYTES = 2 * 1024 ** 3;
/**
 * Calls an archive makes to D1 and R2 at most. One invocation may make 1,000 calls to
 * Cloudflare's own services, the whole download being one invocation; past them a call
 * throws and the zip ends unfinished. Each page of rows read is one call (a thousand posts
 * a page: the documents need a few), each media file another; the files past the bound are
 * listed as missing, and the rest of the 1,000 is left to the request's own (its token, its
 * metrics).
 */
export const MAX_ARCHIVE_CALLS = 800;
/** Rows read a query (an activity is a note of a few kilobytes at most). */
export const ARCHIVE_PAGE = 1000;
/** What the owner's profile costs to read (`readOwner`: one batch, one more the first time). */
const OWNER_CALLS = 2;

type ArchiveContext = Pick<AppContext, "db" | "config" | "bucket" | "now">;

export interface ArchiveOptions {
  /** Calls to D1 and R2 the archive may make. Default `MAX_ARCHIVE_CALLS`. */
  readonly maxCalls?: number;
}

const encoder = new TextEncoder();

async function* once(text: string): AsyncGenerator<Uint8Array> {
  yield encoder.encode(text);
}

/** A collection streamed: its opening, its items a page at a time, its count at the end. */
async function* collection<T extends { readonly seq: number }>(
  id: string,
  pages: AsyncIterable<T[]>,
  item: (row: T) => unknown,
): AsyncGenerator<Uint8Array> {
  yield encoder.encode(collectionOpening(CONTEXT, id));
  let total = 0;
  for await (const rows of pages) {
    const items = rows.map((row) => JSON.stringify(item(row))).join(",");
    yield encoder.encode(total === 0 ? items : `,${items}`);
    total += rows.length;
  }
  yield encoder.encode(collectionEnd(total));
}

/** An R2 object's body, a chunk at a time. */
async function* bodyOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // The download was cancelled midway: the rest of the object is not read.
    if (!done) await reader.cancel();
  }
}

/** A file of the archive that is not in it, and why. */
interface Missing {
  readonly path: string;
  readonly reason: string;
}

/** The archive's entries, each read only once the one before it is written. */
async function* archiveEntries(ctx: ArchiveContext, maxCalls: number): AsyncGenerator<ZipEntry> {
  const { db, config } = ctx;
  // The calls made so far to D1 and R2.
  let calls = OWNER_CALLS;
  const owner = config.urls.owner.id;
  const { state, profile } = await readOwner(db, { defaults: config.owner, now: ctx.now() });
  // Our own pictures come along (a picture the vars name is another server's, linked).
  const pictures = new Map<string, string>();
  const { avatarKey, headerKey } = profile;
  if (avatarKey !== null) pictures.set(avatarKey, pictureName("avatar", avatarKey));
  if (headerKey !== null) pictures.set(headerKey, pictureName("header", headerKey));
  const actor = toArchiveActor(toActor(config, state, profile), {
    avatar: avatarKey === null ? undefined : pictures.get(avatarKey),
    header: headerKey === null ? undefined : pictures.get(headerKey),
  });
  yield { name: ARCHIVE_FILES.actor, deflate: true, chunks: once(JSON.stringify(actor)) };

  // The files the posts name, gathered as the outbox is written.
  const files = new Map<string, string>();
  const mediaPrefix = `${config.origin}/media/`;
  const archivePath = (url: string) => {
    const key = mediaKeyOf(url, mediaPrefix);
    if (key === undefined) return undefined;
    const path = archivePathOf(key);
    files.set(key, path);
    return path;
  };
  // The documents are whole whatever they cost: a page is a thousand rows.
  const walk = <T extends { seq: number }>(read: (w: Walk) => Promise<T[]>) =>
    walkPages(
      (w) => {
        calls++;
        return read(w);
      },
      "oldest",
      ARCHIVE_PAGE,
    );
  yield {
    name: ARCHIVE_FILES.outbox,
    deflate: true,
    chunks: collection(
      ARCHIVE_FILES.outbox,
      walk((w) => postedActivities(db, owner, w)),
      (row) => toArchiveActivity(row.payload, archivePath),
    ),
  };
  yield {
    name: ARCHIVE_FILES.likes,
    deflate: true,
    chunks: collection(
      ARCHIVE_FILES.likes,
      walk((w) => likedNotes(db, owner, w)),
      (r) => r.note,
    ),
  };
  yield {
    name: ARCHIVE_FILES.bookmarks,
    deflate: true,
    chunks: collection(
      ARCHIVE_FILES.bookmarks,
      walk((w) => bookmarkedNotes(db, w)),
      (r) => r.note,
    ),
  };

  const missing: Missing[] = [];
  let bytes = 0;
  for (const [key, path] of [...files, ...pictures]) {
    if (calls >= maxCalls) {
      missing.push({ path, reason: `past the ${maxCalls} calls to storage one download makes` });
      continue;
    }
    calls++;
    const object = await ctx.bucket.get(key);
    if (object === null) {
      missing.push({ path, reason: "not in the media bucket" });
      continue;
    }
    if (bytes + object.size > MAX_ARCHIVE_MEDIA_BYTES) {
      await object.body.cancel();
      missing.push({
        path,
        reason: `past the archive's ${MAX_ARCHIVE_MEDIA_BYTES} bytes of media`,
      });
      continue;
    }
    bytes += object.size;
    yield { name: path, deflate: false, chunks: bodyOf(object.body) };
  }
  if (missing.length > 0) {
    yield { name: "missing_media.json", deflate: true, chunks: once(JSON.stringify(missing)) };
  }
}

/** The owner's archive, a zip made as it is read. */
export function archiveStream(
  ctx: ArchiveContext,
  options: ArchiveOptions = {},
): ReadableStream<Uint8Array> {
  const entries = archiveEntries(ctx, options.maxCalls ?? MAX_ARCHIVE_CALLS);
  return zipStream(entries, { mtime: ctx.now() });
}
