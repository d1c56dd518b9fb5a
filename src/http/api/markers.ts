/**
 * Where the owner stopped reading, shared by all their apps, shaped like Mastodon's client
 * API (`/api/v1/markers`): one marker per timeline (`home`, `notifications`).
 */
import { Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../env";
import { serializeMarkers } from "../../mastodon/profile";
import { findMarkers, type MarkerTimeline, saveMarkers } from "../../storage/owner-profile";
import { MARKER_TIMELINES } from "../../storage/schema";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { readInput } from "./input";

export const markers = new Hono<AppEnv>();
markers.use("*", requireOwner({ read: "read:statuses", write: "write:statuses" }));

const TIMELINES: ReadonlySet<string> = new Set(MARKER_TIMELINES);
const isTimeline = (name: string): name is MarkerTimeline => TIMELINES.has(name);

/** A status or notification id, as a string (an app may send it as a JSON number). */
const LastReadId = v.pipe(
  v.union([v.string(), v.pipe(v.number(), v.safeInteger())], "must be an id"),
  v.transform(String),
  v.regex(/^\d{1,20}$/, "must be an id"),
);
const Marker = v.object({ last_read_id: LastReadId });
const Save = v.object({ home: v.optional(Marker), notifications: v.optional(Marker) });

/**
 * The markers of the timelines named by `timeline[]` (or `timeline`); unknown names and
 * markers never set are left out, so that asking nothing answers `{}`, as Mastodon does.
 */
markers.get("/", async (c) => {
  const named = [...(c.req.queries("timeline[]") ?? []), ...(c.req.queries("timeline") ?? [])];
  const timelines = [...new Set(named.filter(isTimeline))];
  return c.json(serializeMarkers(await findMarkers(c.var.ctx.db, timelines)));
});

/**
 * Saves the markers given (`{"home":{"last_read_id":"…"}}`, or `home[last_read_id]=…` in a
 * form) and answers those, as stored.
 */
markers.post("/", async (c) => {
  const input = await readInput(c, Save);
  if (!input.ok) return jsonError(c, input.status, input.error);
  const updates = MARKER_TIMELINES.flatMap((timeline) => {
    const marker = input.value[timeline];
    return marker === undefined ? [] : [{ timeline, lastReadId: marker.last_read_id }];
  });
  const { ctx } = c.var;
  return c.json(serializeMarkers(await saveMarkers(ctx.db, updates, ctx.now())));
});
