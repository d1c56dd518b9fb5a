/**
 * Builds the request's context (`c.var.ctx`: configuration, D1, KV, queue, clock) once, and
 * refuses to serve a misconfigured instance.
 *
 * D1 is read through a session (read replication), started by who is asking. Anyone
 * anonymous reading (a server fetching the actor or a note, a profile page) may be answered
 * by the nearest replica. The owner, whose apps carry a token (or whose browser carries a
 * cookie), and every write start at the primary, so that what the owner just posted is in
 * the timeline they read next. Their answers carry the session's bookmark in `x-d1-bookmark`
 * (Cloudflare's documented header); a client that sends it back is answered by any replica
 * at least that fresh, still reading its own writes.
 */
import type { Context, MiddlewareHandler } from "hono";
import { createContext } from "../../context";
import { type AppEnv, isLoopbackHostname, parseConfig } from "../../env";
import { isBookmark, openSession, type SessionStart } from "../../storage/db";

export const BOOKMARK_HEADER = "x-d1-bookmark";

/** Where the request's D1 session starts; undefined for a malformed bookmark. */
export function sessionStart(request: Request): SessionStart | undefined {
  const bookmark = request.headers.get(BOOKMARK_HEADER);
  if (bookmark !== null) return isBookmark(bookmark) ? { bookmark } : undefined;
  const reading = request.method === "GET" || request.method === "HEAD";
  const anonymous = !request.headers.has("Authorization") && !request.headers.has("Cookie");
  return reading && anonymous ? "first-unconstrained" : "first-primary";
}

function refuseBookmark(c: Context<AppEnv>): Response {
  return c.json({ error: `${BOOKMARK_HEADER} is not a D1 bookmark` }, 400);
}

export function withContext(): MiddlewareHandler<AppEnv> {
  return async function withContext(c, next) {
    const result = parseConfig(c.env);
    if (!result.ok) {
      console.error(`configuration error: ${result.errors.join("; ")}`);
      return c.json({ error: "instance misconfigured", details: result.errors }, 503);
    }
    // A loopback PUBLIC_ORIGIN on a public host means the instance was deployed with the
    // development default: every id it emitted would point at the visitor's own machine.
    const served = new URL(c.req.url).hostname;
    if (isLoopbackHostname(new URL(result.config.origin).hostname) && !isLoopbackHostname(served)) {
      console.error(`PUBLIC_ORIGIN ${result.config.origin} is loopback but served at ${served}`);
      return c.json(
        { error: "instance misconfigured", details: ["PUBLIC_ORIGIN is a loopback origin"] },
        503,
      );
    }
    const start = sessionStart(c.req.raw);
    if (start === undefined) return refuseBookmark(c);
    const session = openSession(c.env.DB, start);
    c.set("ctx", createContext(c.env, result.config, { d1: session }));
    await next();
    const bookmark = session.getBookmark();
    // A WebSocket's answer must reach the runtime as it is: setting a header remakes it.
    if (start !== "first-unconstrained" && bookmark !== null && c.res.status !== 101) {
      c.header(BOOKMARK_HEADER, bookmark);
    }
  };
}
