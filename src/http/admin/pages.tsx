/**
 * The dashboard's read-only pages: delivery over time (`/admin?window=hour|day|month`), the
 * owner's posts and where each went (`/admin/posts`, `/admin/posts/:id?activity=&page=`), and
 * followers by host (`/admin/followers`).
 */
import { Hono } from "hono";
import { parseMastodonId } from "../../mastodon/ids";
import { WINDOW_NAMES, type Window } from "../../metrics/buckets";
import { recorder } from "../../metrics/recorder";
import { FollowersPage } from "../../pages/admin/followers";
import { ProblemPage } from "../../pages/admin/layout";
import { OverviewPage } from "../../pages/admin/overview";
import { PostPage, PostsPage } from "../../pages/admin/posts";
import { followersByHostQuery } from "../../storage/dashboard";
import type { AdminEnv } from "./guard";
import { postDeliveries, recentPosts } from "./post-deliveries";

export const overview = new Hono<AdminEnv>();

overview.get("/", async (c) => {
  const asked = c.req.query("window");
  const window: Window = WINDOW_NAMES.find((w) => w === asked) ?? "day";
  const now = c.var.ctx.now();
  recorder().inc("outpost_do_calls_total", { method: "series" });
  const metrics = c.env.METRICS.get(c.env.METRICS.idFromName("global"));
  const series = await metrics.series({ window, at: now.getTime() });
  return c.html(<OverviewPage csrf={c.var.csrf} series={series} now={now} />);
});

export const posts = new Hono<AdminEnv>();

posts.get("/", async (c) => {
  const { ctx } = c.var;
  return c.html(<PostsPage csrf={c.var.csrf} posts={await recentPosts(ctx)} now={ctx.now()} />);
});

/** A whole number from the query, between 1 and `max`; undefined otherwise. */
function positive(value: string | undefined, max: number): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n >= 1 && n <= max ? n : undefined;
}

posts.get("/:id", async (c) => {
  const { ctx } = c.var;
  const apiId = parseMastodonId(c.req.param("id"));
  const activity = positive(c.req.query("activity"), 1_000);
  const page = positive(c.req.query("page"), 100_000) ?? 1;
  const found =
    apiId === undefined ? undefined : await postDeliveries(ctx, { apiId, activity, page });
  if (found === undefined) {
    return c.html(<ProblemPage title="No such post" message="The owner has no such post." />, 404);
  }
  return c.html(<PostPage csrf={c.var.csrf} {...found} now={ctx.now()} />);
});

export const followers = new Hono<AdminEnv>();

followers.get("/", async (c) => {
  const { ctx } = c.var;
  const hosts = await followersByHostQuery(ctx.db, ctx.config.urls.owner.id);
  return c.html(<FollowersPage csrf={c.var.csrf} hosts={hosts} />);
});
