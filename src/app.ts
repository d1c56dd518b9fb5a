/** The Hono app: middleware, one router per resource, and the error handlers. */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { methodNotAllowed } from "hono/method-not-allowed";
import type { AppEnv } from "./env";
import { actor } from "./http/actor";
import { admin } from "./http/admin";
import { api } from "./http/api";
import { collections } from "./http/collections";
import { inboxes } from "./http/inbox";
import { media } from "./http/media";
import { metrics } from "./http/metrics";
import { withContext } from "./http/middleware/context";
import { cors } from "./http/middleware/cors";
import { htmlSecurity } from "./http/middleware/security";
import { nodeinfo } from "./http/nodeinfo";
import { oauth } from "./http/oauth";
import { objects } from "./http/objects";
import { remoteFollow } from "./http/remote-follow";
import { jsonError } from "./http/responses";
import { tags } from "./http/tags";
import { wellKnown } from "./http/well-known";

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // First: a preflight is answered before `methodNotAllowed` could refuse OPTIONS with a 405.
  app.use(cors());
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        c.json({ error: `method ${c.req.method} is not allowed here` }, 405, {
          Allow: methods.join(", "),
        }),
    }),
  );
  app.use(withContext());
  app.use(htmlSecurity());

  app.route("/.well-known", wellKnown);
  app.route("/nodeinfo", nodeinfo);
  app.route("/admin", admin);
  app.route("/", actor);
  app.route("/", collections);
  app.route("/", objects);
  app.route("/", tags);
  app.route("/", remoteFollow);
  app.route("/", inboxes);
  app.route("/api", api);
  app.route("/oauth", oauth);
  app.route("/metrics", metrics);
  app.route("/", media);

  app.notFound((c) => jsonError(c, 404, "not found"));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return jsonError(c, err.status, err.message || "bad request");
    // Only the error's name and message: never a request body or a remote payload.
    console.error(`unhandled ${err.name}: ${err.message}`);
    return jsonError(c, 500, "internal server error");
  });
  return app;
}
