/**
 * CORS, as Mastodon sets it, for what web apps on other origins call (Elk, Phanpy, masto.js in
 * a browser): the client API, the token and revocation endpoints, discovery and NodeInfo. Any
 * origin, no credentials: a token travels in `Authorization`, never in a cookie, so a page
 * elsewhere learns nothing it did not already hold. Nowhere else: not on the consent page
 * (`/oauth/authorize`), whose sign-in form and session cookie are for this origin alone, nor
 * on the ActivityPub documents and inboxes, which servers fetch without a browser.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";

/** The paths answered with CORS: prefixes end with `/`, the others are whole paths. */
const COVERED = ["/api/", "/oauth/token", "/oauth/revoke", "/.well-known/", "/nodeinfo/"];

const ALLOW_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE";
/** Always allowed; Mastodon allows any header, so what a preflight asks for is allowed too. */
const ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "x-d1-bookmark"];
/**
 * Paging (`Link`), Mastodon's rate-limit and request-id headers, and D1's bookmark (a client
 * sends it back to read its writes from a replica), readable by scripts.
 */
const EXPOSE_HEADERS =
  "Link, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-Request-Id, x-d1-bookmark";
/** How long a browser may keep a preflight's answer, in seconds (two hours, rack-cors's). */
const MAX_AGE = "7200";
/** At most this many headers of a preflight's list are echoed. */
const MAX_REQUESTED_HEADERS = 32;

/** An HTTP header name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;

function covered(path: string): boolean {
  return COVERED.some((p) => (p.endsWith("/") ? path.startsWith(p) : path === p));
}

/** The allowed headers: ours, and the well-formed names the preflight asks for. */
function allowedHeaders(requested: string | undefined): string {
  const names = new Map(ALLOW_HEADERS.map((name) => [name.toLowerCase(), name]));
  const asked = (requested ?? "").split(",").slice(0, MAX_REQUESTED_HEADERS);
  for (const raw of asked) {
    const name = raw.trim();
    if (TOKEN.test(name) && !names.has(name.toLowerCase())) names.set(name.toLowerCase(), name);
  }
  return [...names.values()].join(", ");
}

/**
 * Answers a preflight (`OPTIONS`, 204) on a covered path itself, before any router could
 * refuse its method, and marks every other answer there, errors included, as readable from
 * any origin.
 */
export function cors(): MiddlewareHandler<AppEnv> {
  return async function cors(c, next) {
    // A WebSocket upgrade is not subject to CORS, and its answer must reach the runtime as is.
    if (!covered(c.req.path) || c.req.header("Upgrade")?.toLowerCase() === "websocket") {
      return next();
    }
    if (c.req.method === "OPTIONS") {
      return c.body(null, 204, {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": ALLOW_METHODS,
        "Access-Control-Allow-Headers": allowedHeaders(
          c.req.header("Access-Control-Request-Headers"),
        ),
        "Access-Control-Max-Age": MAX_AGE,
        Vary: "Access-Control-Request-Headers",
      });
    }
    // Set before the handler runs: Hono carries these onto whatever answer replaces this one
    // (a handler's, the not-found or error handler's).
    c.res.headers.set("Access-Control-Allow-Origin", "*");
    c.res.headers.set("Access-Control-Expose-Headers", EXPOSE_HEADERS);
    await next();
  };
}
