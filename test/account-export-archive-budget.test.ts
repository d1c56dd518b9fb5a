/**
 * The archive within what one invocation may ask of Cloudflare's own services (1,000 calls):
 * its activities read a thousand a query, and its media files (one R2 get each) only while
 * its budget of calls lasts (`MAX_ARCHIVE_CALLS`); the files past it are listed in
 * `missing_media.json`, and the zip ends whole rather than mid-stream.
 */
import { env } from "cloudflare:workers";
import { strFromU8, unzipSync } from "fflate";
import { beforeAll, describe, expect, it } from "vitest";
import { ARCHIVE_PAGE, archiveStream } from "../src/federation/export/archive";
import { mediaId } from "../src/mastodon/ids";
import { createDb } from "../src/storage/db";
import { insertMedia } from "../src/storage/media";
import { api, appContext, db, OWNER } from "./helpers";

/** A D1 binding that counts the round trips made through it. */
function countingD1(calls: { n: number }): D1Database {
  const counted = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop === "bind") {
          return (...values: unknown[]) => counted(target.bind(...values));
        }
        if (prop === "all" || prop === "run" || prop === "raw" || prop === "first") {
          calls.n++;
        }
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => counted(target.prepare(query));
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          calls.n++;
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The media bucket, counting its gets. */
function countingBucket(calls: { n: number }): R2Bucket {
  return new Proxy(env.MEDIA, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "get") {
        return (key: string) => {
          calls.n++;
          return target.get(key);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The archive made with a budget of `maxCalls`, and the calls it made to D1 and R2. */
async function archive(maxCalls?: number) {
  const d1 = { n: 0 };
  const r2 = { n: 0 };
  const ctx = { ...appContext(), db: createDb(countingD1(d1)), bucket: countingBucket(r2) };
  const stream = archiveStream(ctx, maxCalls === undefined ? {} : { maxCalls });
  const files = unzipSync(new Uint8Array(await new Response(stream).arrayBuffer()));
  return { files, d1: d1.n, r2: r2.n };
}

const FILES = 6;
const POSTS = ARCHIVE_PAGE + 5;

beforeAll(async () => {
  // Posts with a file each, as the owner's posting stores them.
  for (let i = 0; i < FILES; i++) {
    const key = `attachments/budget${i}.png`;
    await env.MEDIA.put(key, new Uint8Array([i, 1, 2, 3]));
    const row = await insertMedia(db(), {
      key,
      purpose: "attachment",
      kind: "image",
      mediaType: "image/png",
      size: 4,
      width: 1,
      height: 1,
      createdAt: new Date(),
    });
    const res = await api("/v1/statuses", {
      body: { status: `file ${i}`, media_ids: [mediaId(row)] },
    });
    expect(res.status).toBe(200);
  }
  // And more than a page of activities without files, made in SQL.
  await env.DB.prepare(
    `with recursive i(n) as (select 1 union all select n + 1 from i where n < ?2)
     insert into outbox (id, actor, type, object_id, visibility, payload, published)
     select ?1 || '/bulk/' || n, ?1, 'Create', ?1 || '/bulk-notes/' || n, 'public',
       json_object('id', ?1 || '/bulk/' || n, 'type', 'Create', 'actor', ?1,
         'object', ?1 || '/bulk-notes/' || n),
       1767225600000 + n from i`,
  )
    .bind(OWNER, POSTS - FILES)
    .run();
});

describe("the archive's calls", { timeout: 60_000 }, () => {
  it("reads its activities a thousand a query, and every file within the default budget", async () => {
    const { files, d1, r2 } = await archive();
    const outbox = JSON.parse(strFromU8(files["outbox.json"] ?? new Uint8Array())) as {
      totalItems: number;
    };
    expect(outbox.totalItems).toBe(POSTS);
    // The owner, two pages of the outbox, the likes and the bookmarks.
    expect(d1).toBeLessThanOrEqual(6);
    expect(r2).toBe(FILES);
    expect(files["missing_media.json"]).toBeUndefined();
  });

  it("lists the files past its budget as missing, and ends a whole zip", async () => {
    const maxCalls = 9;
    const { files, d1, r2 } = await archive(maxCalls);
    expect(d1 + r2).toBeLessThanOrEqual(maxCalls);
    expect(r2).toBeGreaterThan(0);
    expect(r2).toBeLessThan(FILES);
    const missing = JSON.parse(strFromU8(files["missing_media.json"] ?? new Uint8Array())) as {
      path: string;
      reason: string;
    }[];
    expect(missing).toHaveLength(FILES - r2);
    for (const file of missing) {
      expect(file.reason).toBe(`past the ${maxCalls} calls to storage one download makes`);
      expect(files[file.path]).toBeUndefined();
    }
    const stored = Object.keys(files).filter((name) => name.startsWith("media/"));
    expect(stored).toHaveLength(r2);
  });
});
