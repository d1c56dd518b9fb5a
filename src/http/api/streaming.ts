/**
 * Mastodon's streaming API: `GET /api/v1/streaming/health`, public, and the WebSocket at
 * `GET /api/v1/streaming` (and at the paths of Mastodon's server-sent-events era, which name
 * the stream: `/api/v1/streaming/user` and so on). The token is checked here, as the REST
 * API checks it (`authenticate`), then the socket goes to the `Streaming` object.
 *
 * Where the token may be, in Mastodon's order: `Authorization: Bearer`, the `access_token`
 * query parameter, or `Sec-WebSocket-Protocol` (browsers cannot set headers on a WebSocket;
 * masto.js sends the token as the protocol), which the 101 then echoes, or Chrome drops the
 * socket. A token must act as the owner and hold `read`, `read:statuses` or
 * `read:notifications`; each stream then needs its own (`streaming/protocol.ts`). Events are
 * not sent as server-sent events: a request without `Upgrade: websocket` is answered 426.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { createDb, openSession } from "../../storage/db";
import { connectSocket } from "../../streaming/object";
import { type StreamRequest, streamRequestOf } from "../../streaming/protocol";
import { waitUntilOf } from "../background";
import { authenticate, bearerToken, holds } from "../middleware/owner-auth";

/** A token as a query parameter or a protocol carries it: what `bearerToken` takes. */
const TOKEN = /^[\x21-\x7e]{1,512}$/;

/** The first protocol a client offers (`new WebSocket(url, token)` offers just the token). */
function offeredProtocol(c: Context): string | undefined {
  const first = c.req.header("Sec-WebSocket-Protocol")?.split(",")[0]?.trim();
  return first !== undefined && TOKEN.test(first) ? first : undefined;
}

function streamingToken(c: Context): string | undefined {
  const query = c.req.query("access_token");
  return bearerToken(c) ?? (query !== undefined && TOKEN.test(query) ? query : offeredProtocol(c));
}

/**
 * Refuses a request without a token acting as the owner with a streaming scope, with the
 * REST API's errors; sets `c.var.auth`. The token is looked up at the primary: a socket may
 * carry it outside `Authorization`, where the request would look anonymous and be read from
 * a replica that may not have a token just issued (or may still have one just revoked).
 */
function requireStreamingToken(): MiddlewareHandler<AppEnv> {
  return async function requireStreamingToken(c, next) {
    const ctx = { ...c.var.ctx, db: createDb(openSession(c.env.DB, "first-primary")) };
    const result = await authenticate(ctx, streamingToken(c), waitUntilOf(c));
    if (!result.ok) {
      const error =
        result.reason === "missing" ? "The access token is missing" : "The access token is invalid";
      return c.json({ error }, 401, {
        "WWW-Authenticate": 'Bearer realm="outpost", error="invalid_token"',
      });
    }
    if (result.principal.kind === "app") {
      return c.json({ error: "This method requires an authenticated user" }, 422);
    }
    if (!holds(result.principal, ["read:statuses", "read:notifications"])) {
      return c.json({ error: "This action is outside the authorized scopes" }, 403);
    }
    c.set("auth", result.principal);
    await next();
  };
}

/** The stream each server-sent-events path names (Mastodon's `channelNameFromPath`). */
const PATH_STREAMS: Readonly<Record<string, string>> = {
  "/user": "user",
  "/user/notification": "user:notification",
  "/public": "public",
  "/public/local": "public:local",
  "/public/remote": "public:remote",
  "/hashtag": "hashtag",
  "/hashtag/local": "hashtag:local",
  "/list": "list",
  "/direct": "direct",
};

/** The stream to subscribe at once: the query's `stream`, else the one the path names. */
function initialStream(c: Context, path: string): StreamRequest | undefined {
  const query = streamRequestOf(c.req.query());
  if (query.stream !== "") return query;
  const named = PATH_STREAMS[path];
  if (named === undefined) return undefined;
  const media = named.startsWith("public") && c.req.query("only_media") === "true";
  return { ...query, stream: media ? `${named}:media` : named };
}

export const streaming = new Hono<AppEnv>();

// Mounted at `/api/v1`: a router mounted at `/api/v1/streaming` could not answer the path
// with a trailing slash, where Mastodon's own web client connected.
streaming.get("/streaming/health", (c) => c.text("OK", 200, { "Cache-Control": "no-store" }));

for (const path of ["", "/", ...Object.keys(PATH_STREAMS)]) {
  streaming.get(`/streaming${path}`, requireStreamingToken(), async (c) => {
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      return c.json({ error: "The streaming API is served over WebSocket only" }, 426, {
        Upgrade: "websocket",
      });
    }
    const { auth } = c.var;
    const protocol = offeredProtocol(c);
    const initial = initialStream(c, path);
    return connectSocket(c.var.ctx.streaming, {
      token: auth.kind === "ownerToken" ? null : auth.tokenSeq,
      statuses: holds(auth, ["read:statuses"]),
      notifications: holds(auth, ["read:notifications"]),
      ...(protocol === undefined ? {} : { protocol }),
      ...(initial === undefined ? {} : { initial }),
    });
  });
}
