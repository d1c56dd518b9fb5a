/**
 * Hashtag pages, `/tags/:name`, where the owner's posts link their hashtags: the owner's
 * public posts that carry it, newest first, 20 a page (`?max_id=` for older ones). Browsers
 * get the page; ActivityPub clients an `OrderedCollection` of the posts' ids, as Mastodon
 * serves its tags. A name that cannot be a hashtag is a 400; one no public post carries, a
 * 404 saying so (as Mastodon answers a tag it does not know).
 *
 * Not kept by the public cache: a post purges the documents its `PublicChange` names, and
 * that names no hashtag; these pages read D1 each time (one round trip).
 */
import { Hono } from "hono";
import { AS_CONTEXT } from "../activitypub/context";
import { hashtagOf } from "../activitypub/hashtags";
import { prefersActivityJson } from "../activitypub/negotiation";
import type { AppEnv } from "../env";
import { parseMastodonId } from "../mastodon/ids";
import { POSTS_PER_PAGE } from "../pages/posts";
import { tagPage, tagUrl } from "../pages/tags";
import { readTagPage } from "../storage/public-pages";
import { activityJson, jsonError } from "./responses";

export const tags = new Hono<AppEnv>();

tags.get("/tags/:name", async (c) => {
  const { config, db } = c.var.ctx;
  c.header("Vary", "Accept");
  const json = prefersActivityJson(c.req.header("Accept"));
  const tag = hashtagOf(c.req.param("name"));
  if (tag === undefined) {
    const why = "a hashtag is 1 to 100 letters, digits and underscores, such as /tags/fediverse";
    return jsonError(c, 400, why);
  }
  const cursor = c.req.query("max_id");
  const maxId = parseMastodonId(cursor);
  if (cursor !== undefined && maxId === undefined) {
    return jsonError(c, 400, "max_id must be a post's id (digits)");
  }
  const page = await readTagPage(db, {
    actor: config.urls.owner.id,
    tag,
    defaults: config.owner,
    maxId,
    limit: POSTS_PER_PAGE,
  });
  const none = page.posts.notes.length === 0 && maxId === undefined;
  if (json) {
    if (none) return jsonError(c, 404, `no public post is tagged #${tag}`);
    return activityJson(c, {
      "@context": AS_CONTEXT,
      id: tagUrl(config, tag),
      type: "OrderedCollection",
      orderedItems: page.posts.notes.map((note) => note.id),
    });
  }
  // A browser gets the page saying no post carries the tag (200): only a refusal is a 4xx.
  return c.html(tagPage({ config, tag, page, paged: maxId !== undefined }));
});
