/**
 * The cheap refusals: a body over 1 MB (413), a content type that is not ActivityPub's
 * (415), a body that is not a JSON activity with `@context`, `id`, `type` and `actor`, or
 * that nests deeper than any real activity does (400), and activities claiming to be from
 * this instance's own actors (403).
 */
import type { MiddlewareHandler } from "hono";
import { parseEnvelope } from "../../activitypub/activity";
import { hostOf } from "../../activitypub/parse";
import { MAX_JSON_DEPTH, nestsWithin } from "../../lib/json-depth";
import { readCapped } from "../../lib/read-capped";
import { jsonError } from "../responses";
import type { InboxEnv } from "./env";

const MAX_ACTIVITY_BYTES = 1024 * 1024;

const ACTIVITY_TYPES = /^application\/(activity\+json|ld\+json|json)$/;

/** Reads the body and its envelope into `c.var.body` and `c.var.activity`. */
export function readActivity(): MiddlewareHandler<InboxEnv> {
  return async function readActivity(c, next) {
    const body = await readCapped(c.req.raw, MAX_ACTIVITY_BYTES);
    if (body === undefined) return jsonError(c, 413, "activity larger than 1 MB");
    const contentType = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
    if (contentType === undefined || !ACTIVITY_TYPES.test(contentType)) {
      return jsonError(c, 415, "content type must be application/activity+json");
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
    } catch {
      return jsonError(c, 400, "body is not JSON");
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      return jsonError(c, 400, "body is not a JSON object");
    }
    if (!nestsWithin(json, MAX_JSON_DEPTH)) {
      return jsonError(c, 400, `activity nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    const envelope = parseEnvelope(json);
    if (!envelope.ok) return jsonError(c, 400, envelope.error);
    const { activity } = envelope;
    c.set("body", body);
    c.set("activity", activity);
    // Our own actors never deliver to us over HTTP: whatever claims to be one is not.
    const { host } = c.var.ctx.config;
    if (hostOf(activity.actor) === host || hostOf(activity.id) === host) {
      return jsonError(c, 403, "activities of this instance's own actors are not accepted");
    }
    await next();
  };
}
