/** Files from the media bucket (the owner's avatar, header and attachments). */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../env";
import { evaluatePreconditions, isConditional } from "./preconditions";
import { jsonError } from "./responses";

export const media = new Hono<AppEnv>();

/** R2's longest key, in UTF-8 bytes: no file has a longer one. */
const MAX_KEY_BYTES = 1024;

media.get("/media/:key{.+}", async (c) => {
  const key = c.req.param("key");
  if (new TextEncoder().encode(key).byteLength > MAX_KEY_BYTES) {
    return jsonError(c, 400, `media keys are at most ${MAX_KEY_BYTES} bytes`);
  }
  const conditions = c.req.raw.headers;
  const conditional = isConditional(conditions);
  const verdictOn = (object: R2Object) =>
    evaluatePreconditions(conditions, { etag: object.httpEtag, lastModified: object.uploaded });
  // A conditional request asks for the metadata first: a fresh copy costs no body transfer.
  if (conditional) {
    const current = await c.env.MEDIA.head(key);
    if (current === null) return jsonError(c, 404, "no such file");
    const verdict = verdictOn(current);
    if (verdict !== 200) return unmet(c, verdict, current);
  }
  const object = await c.env.MEDIA.get(key);
  if (object === null) return jsonError(c, 404, "no such file");
  // The file may have been replaced between the two reads: what is sent is what is judged.
  const verdict = conditional ? verdictOn(object) : 200;
  if (verdict !== 200) {
    await object.body.cancel();
    return unmet(c, verdict, object);
  }
  return new Response(object.body, { headers: fileHeaders(object) });
});

/** 304 with the file's headers, or 412 with the reason. */
function unmet(c: Context<AppEnv>, verdict: 304 | 412, object: R2Object): Response {
  if (verdict === 304) return new Response(null, { status: 304, headers: fileHeaders(object) });
  return jsonError(c, 412, "precondition failed");
}

function fileHeaders(object: R2Object): Headers {
  const headers = new Headers();
  object.writeHttpMetadata(headers);
  headers.set("ETag", object.httpEtag);
  headers.set("Last-Modified", object.uploaded.toUTCString());
  headers.set("Cache-Control", "public, max-age=86400");
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
