/**
 * Tells the owner's streams what a router's writes change, once a write has succeeded: the
 * filters' routes make `filters_changed`, so that open apps read the filters again, as
 * Mastodon's do when a filter, a keyword or a filtered status changes.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import type { StreamChange } from "../../streaming/changes";
import { streamAfter } from "../../streaming/stream";
import { withBackground } from "../background";

/** What a router's successful writes change. */
export interface StreamWritesOptions {
  readonly changes: readonly StreamChange[];
}

/** After a request that is not a read and was answered 2xx, streams `changes` (after the answer). */
export function streamWrites(options: StreamWritesOptions): MiddlewareHandler<AppEnv> {
  return async function streamWrites(c, next) {
    await next();
    if (c.req.method === "GET" || c.req.method === "HEAD" || !c.res.ok) return;
    streamAfter(withBackground(c), options.changes);
  };
}
