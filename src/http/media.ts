/** Files from the media bucket (the owner's avatar, header and attachments). */
import { Hono } from "hono";
import type { AppEnv } from "../env";
import { jsonError } from "./responses";

export const media = new Hono<AppEnv>();

/** R2's longest key, in UTF-8 bytes: no file has a longer one. */
const MAX_KEY_BYTES = 1024;

media.get("/media/:key{.+}", async (c) => {
  const key = c.req.param("key");
  if (new TextEncoder().encode(key).byteLength > MAX_KEY_BYTES) {
    return jsonError(c, 400, `media keys are at most ${MAX_KEY_BYTES} bytes`);
  }
  // `onlyIf` takes the request's conditional headers: a fresh copy costs no body transfer.
  const object = await c.env.MEDIA.get(key, { onlyIf: c.req.raw.headers });
  if (object === null) return jsonError(c, 404, "no such file");
  const headers = new Headers();
  object.writeHttpMetadata(headers);
  headers.set("ETag", object.httpEtag);
  headers.set("Cache-Control", "public, max-age=86400");
  // Whatever a file claims to be, it must not run as a page of this origin.
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Content-Security-Policy", "default-src 'none'; sandbox");
  if (!("body" in object)) return new Response(null, { status: 304, headers });
  return new Response(object.body, { headers });
});

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
