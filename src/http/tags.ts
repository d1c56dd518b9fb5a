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
import { type Context, Hono } from "hono";
import { AS_CONTEXT } from "../activitypub/context";
import { hashtagOf } from "../activitypub/hashtags";
import { prefersActivityJson } from "../activitypub/negotiation";
import type { AppEnv } from "../env";
import { parseMastodonId } from "../mastodon/ids";
import { noticePage } from "../pages/notice";
import { POSTS_PER_PAGE } from "../pages/posts";
import { tagPage, tagUrl } from "../pages/tags";
import { readTagPage } from "../storage/public-pages";
import { activityJson, jsonError } from "./responses";

export const tags = new Hono<AppEnv>();

/** A request the page cannot answer (400), told in the representation asked for. */
function refuse(c: Context<AppEnv>, json: boolean, message: string) {
  if (json) return jsonError(c, 400, message);
  const { config } = c.var.ctx;
  return c.html(noticePage({ config, title: "Not a hashtag page", message }), 400);
}

tags.get("/tags/:name", async (c) => {
  const { config, db } = c.var.ctx;
  c.header("Vary", "Accept");
  const json = prefersActivityJson(c.req.header("Accept"));
  const tag = hashtagOf(c.req.param("name"));
  if (tag === undefined) {
    return refuse(
      c,
      json,
      "A hashtag is 1 to 100 letters, digits and underscores, such as /tags/fediverse.",
    );
  }
  const cursor = c.req.query("max_id");
  const maxId = parseMastodonId(cursor);
  if (cursor !== undefined && maxId === undefined) {
    return refuse(c, json, "The link to older posts is broken: max_id must be a post's id.");
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
  return c.html(tagPage({ config, tag, page, paged: maxId !== undefined }), none ? 404 : 200);
});
