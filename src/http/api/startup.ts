/**
 * What apps ask for at start-up that a single-user server has none of, answered as Mastodon
 * answers a server with none, so that an app does not break on a 404: announcements from
 * the admins, trends, follow suggestions, followed and featured hashtags, and the Web Push
 * subscription (Outpost sends no Web Push: none exists, which is Mastodon's 404).
 */
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { requireOwner } from "../middleware/owner-auth";

/** Trends are public on Mastodon; what the app may keep of an empty answer, an hour. */
const FOR_AN_HOUR = { "Cache-Control": "public, max-age=3600" };

export const trends = new Hono<AppEnv>();
for (const path of ["/v1/trends", "/v1/trends/tags", "/v1/trends/statuses", "/v1/trends/links"]) {
  trends.get(path, (c) => c.json([], 200, FOR_AN_HOUR));
}

export const startup = new Hono<AppEnv>();

startup.get("/v1/announcements", requireOwner({ read: "read", write: "write" }), (c) => c.json([]));

for (const path of ["/v1/suggestions", "/v2/suggestions"]) {
  startup.get(path, requireOwner({ read: "read", write: "write" }), (c) => c.json([]));
}

startup.get(
  "/v1/followed_tags",
  requireOwner({ read: "read:follows", write: "write:follows" }),
  (c) => c.json([]),
);

startup.get(
  "/v1/featured_tags",
  requireOwner({ read: "read:accounts", write: "write:accounts" }),
  (c) => c.json([]),
);

startup.get("/v1/push/subscription", requireOwner({ read: "push", write: "push" }), (c) =>
  c.json({ error: "Record not found" }, 404),
);
