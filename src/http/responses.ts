/** Response helpers shared by the routers. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ACTIVITY_JSON } from "../activitypub/negotiation";

/** An ActivityStreams document with the ActivityPub media type. */
export function activityJson(c: Context, document: object, status: ContentfulStatusCode = 200) {
  return c.body(JSON.stringify(document), status, { "Content-Type": ACTIVITY_JSON });
}

/** The one shape of every error we answer: `{ "error": "..." }`. */
export function jsonError(c: Context, status: ContentfulStatusCode, error: string) {
  return c.json({ error }, status);
}
