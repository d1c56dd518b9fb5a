/** Files from the media bucket (the owner's avatar, header and attachments). */
import { Hono } from "hono";
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
  // A conditional request asks for the metadata first: a fresh copy costs no body transfer.
  if (isConditional(c.req.raw.headers)) {
    const current = await c.env.MEDIA.head(key);
    if (current === null) return jsonError(c, 404, "no such file");
    const verdict = evaluatePreconditions(c.req.raw.headers, {
      etag: current.httpEtag,
      lastModified: current.uploaded,
    });
    if (verdict === 304) return new Response(null, { status: 304, headers: fileHeaders(current) });
    if (verdict === 412) return jsonError(c, 412, "precondition failed");
  }
  const object = await c.env.MEDIA.get(key);
  if (object === null) return jsonError(c, 404, "no such file");
  return new Response(object.body, { headers: fileHeaders(object) });
});

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
