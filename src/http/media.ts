/**
 * Files from the media bucket (the owner's avatar, header and attachments). Keys are random
 * and never reused, so a file is cached for a year as immutable. A `Range` asks for one part
 * of it (a video sought, a download resumed): see `ranges.ts`.
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../env";
import { FORMATS } from "../media/sniff";
import { evaluatePreconditions, isConditional } from "./preconditions";
import { byteRange, contentRange, rangeStillApplies } from "./ranges";
import { jsonError } from "./responses";

export const media = new Hono<AppEnv>();

/** R2's longest key, in UTF-8 bytes: no file has a longer one. */
const MAX_KEY_BYTES = 1024;

/**
 * The types this server stores (what uploads are checked to be: pictures, videos, sounds),
 * which a browser shows in place. Anything else, whatever it claims, is offered as a
 * download, never rendered as a page.
 */
const INLINE_TYPES: ReadonlySet<string> = new Set(Object.values(FORMATS).map((f) => f.mediaType));

media.get("/media/:key{.+}", async (c) => {
  // On every answer, errors too (the file's own answers set it in `fileHeaders`).
  c.header("Accept-Ranges", "bytes");
  const key = c.req.param("key");
  if (new TextEncoder().encode(key).byteLength > MAX_KEY_BYTES) {
    return jsonError(c, 400, `media keys are at most ${MAX_KEY_BYTES} bytes`);
  }
  const headers = c.req.raw.headers;
  const conditional = isConditional(headers);
  // Range is defined for GET alone; a HEAD (which Hono routes here) ignores it.
  const head = c.req.method === "HEAD";
  const rangeHeader = head ? null : headers.get("range");
  const verdictOn = (object: R2Object) =>
    evaluatePreconditions(headers, { etag: object.httpEtag, lastModified: object.uploaded });
  // The metadata first when it decides the answer: a fresh copy, a HEAD or a part cost no
  // transfer of the whole body.
  if (conditional || head || rangeHeader !== null) {
    const current = await c.env.MEDIA.head(key);
    if (current === null) return jsonError(c, 404, "no such file");
    const verdict = conditional ? verdictOn(current) : 200;
    if (verdict !== 200) return unmet(c, verdict, current);
    if (head) return new Response(null, { headers: fileHeaders(current, current.size) });
    const validators = { etag: current.httpEtag, lastModified: current.uploaded };
    if (rangeHeader !== null && rangeStillApplies(headers.get("if-range"), validators)) {
      const part = await servePart(c, { key, current, header: rangeHeader });
      if (part !== undefined) return part;
    }
  }
  const object = await c.env.MEDIA.get(key);
  if (object === null) return jsonError(c, 404, "no such file");
  // The file may have been replaced between the two reads: what is sent is what is judged.
  const verdict = conditional ? verdictOn(object) : 200;
  if (verdict !== 200) {
    await object.body.cancel();
    return unmet(c, verdict, object);
  }
  return new Response(object.body, { headers: fileHeaders(object, object.size) });
});

interface PartRequest {
  readonly key: string;
  /** The file as its metadata was just read. */
  readonly current: R2Object;
  readonly header: string;
}

/**
 * The part a `Range` asks for (206), or 416 when none of the file is in it; undefined when
 * the whole file is to be sent (several ranges, a malformed one, or a file replaced since
 * its metadata was read).
 */
async function servePart(c: Context<AppEnv>, request: PartRequest): Promise<Response | undefined> {
  const { key, current } = request;
  const range = byteRange(request.header, current.size);
  if (range.kind === "whole") return undefined;
  if (range.kind === "unsatisfiable") {
    c.header("Content-Range", `bytes */${current.size}`);
    return jsonError(c, 416, "the range asked for is not in the file");
  }
  const { offset, length } = range;
  const object = await c.env.MEDIA.get(key, {
    range: { offset, length },
    onlyIf: { etagMatches: current.etag },
  });
  if (object === null || !("body" in object)) return undefined;
  const headers = fileHeaders(object, length);
  headers.set("Content-Range", contentRange(offset, length, object.size));
  return new Response(object.body, { status: 206, headers });
}

/** 304 with the file's headers, or 412 with the reason. */
function unmet(c: Context<AppEnv>, verdict: 304 | 412, object: R2Object): Response {
  if (verdict === 304) return new Response(null, { status: 304, headers: fileHeaders(object) });
  return jsonError(c, 412, "precondition failed");
}

/** The headers of a file served, `length` bytes of it when a body is (or would be) sent. */
function fileHeaders(object: R2Object, length?: number): Headers {
  const headers = new Headers();
  object.writeHttpMetadata(headers);
  const type = (headers.get("Content-Type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "") headers.set("Content-Type", "application/octet-stream");
  headers.set("Content-Disposition", INLINE_TYPES.has(type) ? "inline" : "attachment");
  if (length !== undefined) headers.set("Content-Length", String(length));
  headers.set("ETag", object.httpEtag);
  headers.set("Last-Modified", object.uploaded.toUTCString());
  headers.set("Accept-Ranges", "bytes");
  // A key is never given to another file.
  headers.set("Cache-Control", "public, max-age=31536000, immutable");
  // Whatever a file claims to be, it must not run as a page of this origin.
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Content-Security-Policy", "default-src 'none'; sandbox");
  return headers;
}

/** The picture of an account without one (Mastodon serves `missing.png` the same way). */
const MISSING_PNG = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
  ),
  (ch) => ch.charCodeAt(0),
);

for (const path of ["/avatars/missing.png", "/headers/missing.png"]) {
  media.get(path, (c) =>
    c.body(MISSING_PNG, 200, {
      "Content-Type": "image/png",
      "Cache-Control": "public, max-age=604800",
    }),
  );
}
