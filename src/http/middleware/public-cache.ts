/**
 * Public GETs answered from the data centre's Cache API (`cache/public-documents.ts`) when it
 * holds a copy, and kept there after a miss, counted in `outpost_public_cache_total` by
 * result (`hit`, `miss`, `bypass`).
 *
 * Only what anyone may see is kept: a route behind this middleware answers 200 only with a
 * public or unlisted document (a followers-only or direct note is a 404 to everyone), and
 * only a 200 is kept. Errors are not: a 404 or a 410 costs one indexed read, and a kept 404
 * could hide a note published under an id someone guessed before. A route that answers
 * something personal sends `Cache-Control: private` (or `no-store`), which is never kept.
 *
 * Requests answered from a replica (`sessionStart`: an anonymous `GET` or `HEAD`, no token,
 * no cookie, no D1 bookmark) may be answered from a copy; the owner's, with a token or a
 * cookie, always reach the route and are never kept, and neither is a bookmarked request,
 * which asks for data at least that fresh. A signature does not change what these routes
 * answer, so signed fetches (Mastodon signs every one) are served and kept like the rest; a
 * route that came to answer by signer would have to leave this middleware. A request's own
 * `Cache-Control` is not honoured, as Cloudflare's cache does not: a copy is a minute old
 * at most. A query string is a bypass, except a collection's first page (`?page=true`, what
 * its `first` names): a query could otherwise make copies without end, and pages further on
 * are walked once by a crawler, and could change in ways a purge cannot list.
 */
import type { Context, MiddlewareHandler } from "hono";
import { prefersActivityJson } from "../../activitypub/negotiation";
import {
  documentKey,
  matchDocument,
  PUBLIC_CACHE_SECONDS,
  type Representation,
  storeDocument,
} from "../../cache/public-documents";
import type { AppEnv } from "../../env";
import { recorder } from "../../metrics/recorder";
import { sessionStart } from "./context";

export interface PublicCacheOptions {
  /**
   * The route answers HTML or ActivityStreams JSON by `Accept` (and says `Vary: Accept`):
   * the key names the representation the request gets. Else the route has one, kept as JSON.
   */
  readonly negotiated: boolean;
  /** A collection: its first page (`?page=true`) is kept too. Default false. */
  readonly firstPage?: boolean;
}

const count = (result: "hit" | "miss" | "bypass") =>
  recorder().inc("outpost_public_cache_total", { result });

/**
 * What clients are told. A server may keep a document as long as a data centre does; a
 * browser asks again each time (the owner reloading their profile sees their new post).
 */
const forClients = (representation: Representation) =>
  representation === "html" ? "no-cache" : `public, max-age=${PUBLIC_CACHE_SECONDS}`;

/** The request may be answered from a copy, and its answer kept. */
function cacheable(c: Context<AppEnv>, url: URL, options: PublicCacheOptions): boolean {
  if (sessionStart(c.req.raw) !== "first-unconstrained") return false;
  // Our paths need no escapes; an escaped one would be a key no purge names.
  if (url.pathname.includes("%")) return false;
  return url.search === "" || (options.firstPage === true && url.search === "?page=true");
}

/** The answer is a public document: a 200 no one marked as personal. */
function keepable(res: Response): boolean {
  const control = res.headers.get("Cache-Control") ?? "";
  return (
    res.status === 200 &&
    res.headers.has("Content-Type") &&
    !res.headers.has("Set-Cookie") &&
    !/\b(private|no-store|no-cache)\b/i.test(control)
  );
}

export function publicCache(options: PublicCacheOptions): MiddlewareHandler<AppEnv> {
  return async function publicCache(c, next) {
    const url = new URL(c.req.url);
    if (!cacheable(c, url, options)) {
      count("bypass");
      return next();
    }
    const representation: Representation =
      options.negotiated && !prefersActivityJson(c.req.header("Accept")) ? "html" : "json";
    const key = documentKey(c.var.ctx.config.urls, representation, url.pathname + url.search);
    const hit = await matchDocument(key);
    if (hit !== undefined) {
      count("hit");
      // Returned as the route's answer would be: what outer middleware set (CORS) is kept.
      return new Response(hit.body, {
        headers: {
          "Content-Type": hit.headers.get("Content-Type") ?? "application/octet-stream",
          "Cache-Control": forClients(representation),
          ...(options.negotiated ? { Vary: "Accept" } : {}),
        },
      });
    }
    count("miss");
    await next();
    if (!keepable(c.res)) return;
    // Kept before answering: the copy is small, and the next request finds it.
    await storeDocument(key, c.res.clone().body, c.res.headers.get("Content-Type") ?? "");
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set("Cache-Control", forClients(representation));
  };
}
