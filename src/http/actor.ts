/**
 * The owner's actor and the instance actor, content-negotiated: servers get ActivityStreams
 * JSON, browsers the HTML profile page.
 */
import { type Context, Hono } from "hono";
import { toActor, toInstanceActor } from "../activitypub/actor";
import { prefersActivityJson } from "../activitypub/negotiation";
import type { AppEnv } from "../env";
import { parseMastodonId } from "../mastodon/ids";
import { POSTS_PER_PAGE } from "../pages/posts";
import { profilePage } from "../pages/profile";
import { ensureLocalActor } from "../storage/local-actors";
import { readOwner } from "../storage/owner-profile";
import { readProfilePage } from "../storage/public-pages";
import { publicCache } from "./middleware/public-cache";
import { activityJson, jsonError } from "./responses";

/** Pins shown above them (Mastodon allows 5). */
const PINS = 5;

export const actor = new Hono<AppEnv>();

actor.get("/", (c) => c.redirect(c.var.ctx.config.urls.owner.profile));

actor.get("/users/:username", publicCache({ negotiated: true }), async (c) => {
  const { config, db } = c.var.ctx;
  if (c.req.param("username") !== config.owner.username) {
    return jsonError(c, 404, "no such actor");
  }
  c.header("Vary", "Accept");
  if (prefersActivityJson(c.req.header("Accept"))) {
    const { state, profile } = await readOwner(db, {
      defaults: config.owner,
      now: c.var.ctx.now(),
    });
    return activityJson(c, toActor(config, state, profile));
  }
  return renderProfile(c);
});

/** The profile page URL (the actor's `url`); servers asking it for JSON go to the actor. */
actor.get("/:handle{@[^/]+}", publicCache({ negotiated: true }), async (c) => {
  const { config } = c.var.ctx;
  if (c.req.param("handle") !== `@${config.owner.username}`) {
    return jsonError(c, 404, "no such actor");
  }
  c.header("Vary", "Accept");
  if (prefersActivityJson(c.req.header("Accept"))) {
    return c.redirect(config.urls.owner.id);
  }
  return renderProfile(c);
});

actor.get("/actor", publicCache({ negotiated: true }), async (c) => {
  const { config, db } = c.var.ctx;
  c.header("Vary", "Accept");
  if (!prefersActivityJson(c.req.header("Accept"))) {
    return c.redirect(config.urls.owner.profile);
  }
  const state = await ensureLocalActor(db, { role: "instance", now: c.var.ctx.now() });
  return activityJson(c, toInstanceActor(config, state));
});

/**
 * The profile page, one round trip: its newest posts, or those below `?max_id=` (a query,
 * so never kept by the public cache: only the first page is, and purged on change).
 */
async function renderProfile(c: Context<AppEnv>) {
  const { config, db } = c.var.ctx;
  const cursor = c.req.query("max_id");
  const maxId = parseMastodonId(cursor);
  if (cursor !== undefined && maxId === undefined) {
    return jsonError(c, 400, "max_id must be a post's id (digits)");
  }
  const page = await readProfilePage(db, {
    actor: config.urls.owner.id,
    defaults: config.owner,
    maxId,
    limit: POSTS_PER_PAGE,
    pins: PINS,
  });
  return c.html(profilePage({ config, page, paged: maxId !== undefined }));
}
