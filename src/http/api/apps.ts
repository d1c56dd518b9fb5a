/**
 * Client apps: `POST /api/v1/apps` registers one (anyone may: it is how an app starts to
 * sign in; rate-limited per address, since each writes a row), `GET /api/v1/apps/
 * verify_credentials` tells an app what its token is. The owner lists and removes the apps
 * they authorised at `/api/outpost/authorized_apps`.
 */
import { type Context, Hono } from "hono";
import * as v from "valibot";
import type { AppEnv, Principal } from "../../env";
import { randomSecret, sha256Hex } from "../../lib/hash";
import { mastodonId, parseMastodonId } from "../../mastodon/ids";
import { parseScopes } from "../../mastodon/scopes";
import { authorizedApps, createApp, deleteAuthorizedApp } from "../../storage/oauth";
import type { OAuthAppRow } from "../../storage/schema";
import { requireOwner, requireToken } from "../middleware/owner-auth";
import { isPlainRedirect, OOB } from "../oauth/request";
import { jsonError } from "../responses";
import { readInput } from "./input";

export const apps = new Hono<AppEnv>();

const MAX_REDIRECT_URIS = 16;
const MAX_URI_LENGTH = 2000;
/** Schemes a redirect may never use: they would run or read something in the browser. */
const FORBIDDEN_SCHEMES = new Set(["javascript:", "data:", "vbscript:", "file:", "blob:"]);

function redirectUriProblem(uri: string): string | undefined {
  if (uri === OOB) return undefined;
  if (uri.length > MAX_URI_LENGTH) return `is longer than ${MAX_URI_LENGTH} characters`;
  const url = URL.parse(uri);
  if (url === null || !/^[a-z][a-z0-9+.-]*:/i.test(uri)) return "must be an absolute URI";
  if (url.hash !== "" || uri.includes("#")) return "cannot contain a fragment";
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return `cannot use the ${url.protocol} scheme`;
  if (!isPlainRedirect(uri)) return "must name a plain host name or IP address";
  return undefined;
}

const RedirectUris = v.pipe(
  v.union(
    [
      v.pipe(v.string(), v.maxLength(MAX_REDIRECT_URIS * (MAX_URI_LENGTH + 1))),
      v.pipe(v.array(v.string()), v.maxLength(MAX_REDIRECT_URIS, `at most ${MAX_REDIRECT_URIS}`)),
    ],
    "must be a URI or a list of URIs",
  ),
  // A string may hold several, space- or newline-separated (Mastodon stores them so).
  v.transform((given) =>
    [...new Set((Array.isArray(given) ? given : [given]).flatMap((u) => u.split(/\s+/)))].filter(
      (u) => u !== "",
    ),
  ),
  v.minLength(1, "can't be blank"),
  v.maxLength(MAX_REDIRECT_URIS, `at most ${MAX_REDIRECT_URIS}`),
  v.check(
    (uris) => uris.every((u) => redirectUriProblem(u) === undefined),
    (issue) => {
      const bad = issue.input.find((u) => redirectUriProblem(u) !== undefined) ?? "";
      return `${redirectUriProblem(bad)} (${bad.slice(0, 100)})`;
    },
  ),
);

const Registration = v.object({
  client_name: v.pipe(
    v.string("must be text"),
    v.trim(),
    v.minLength(1, "can't be blank"),
    v.maxLength(200, "is longer than 200 characters"),
  ),
  redirect_uris: RedirectUris,
  scopes: v.optional(v.pipe(v.string("must be text"), v.maxLength(2000))),
  website: v.optional(
    v.union([
      v.null(),
      v.literal(""),
      v.pipe(
        v.string(),
        v.maxLength(MAX_URI_LENGTH),
        v.url("must be a URL"),
        v.regex(/^https?:/i, "must be http or https"),
      ),
    ]),
  ),
});

/** The Application entity (Mastodon 4.3); the secret only when it was just made. */
function serializeApp(app: OAuthAppRow, secret?: string) {
  return {
    id: mastodonId("app", app.createdAt, app.seq),
    name: app.name,
    website: app.website,
    scopes: app.scopes.split(" "),
    redirect_uri: app.redirectUris.join("\n"),
    redirect_uris: app.redirectUris,
    ...(secret === undefined
      ? {}
      : { client_id: app.clientId, client_secret: secret, client_secret_expires_at: 0 }),
    vapid_key: "",
  };
}

apps.post("/v1/apps", async (c) => {
  const address = c.req.header("cf-connecting-ip") ?? "unknown";
  const { success } = await c.env.APP_RATE_LIMITER.limit({ key: `apps:${address}` });
  if (!success) return jsonError(c, 429, "Too many requests");
  const input = await readInput(c, Registration);
  if (!input.ok) return jsonError(c, input.status, input.error);
  const { client_name, redirect_uris, scopes, website } = input.value;
  const parsed = parseScopes(scopes);
  if (!parsed.ok) {
    return jsonError(
      c,
      422,
      `Validation failed: scopes are unknown: ${parsed.unknown.join(" ").slice(0, 200)}`,
    );
  }
  const secret = randomSecret();
  const app = await createApp(c.var.ctx.db, {
    clientId: randomSecret(),
    clientSecretHash: await sha256Hex(secret),
    name: client_name,
    website: website === undefined || website === null || website === "" ? null : website,
    redirectUris: redirect_uris,
    scopes: parsed.scopes.join(" "),
    createdAt: c.var.ctx.now(),
  });
  // The secret is in this answer only: no cache may keep it.
  return c.json(serializeApp(app, secret), 200, { "Cache-Control": "no-store" });
});

function ownerTokenApp(c: Context<AppEnv>) {
  return c.json({
    id: "0",
    name: "OWNER_TOKEN",
    website: null,
    scopes: ["read", "write", "follow", "push", "admin:read", "admin:write"],
    redirect_uri: OOB,
    redirect_uris: [OOB],
    vapid_key: "",
  });
}

apps.get("/v1/apps/verify_credentials", requireToken({ app: true }), (c) => {
  const auth: Principal = c.var.auth;
  return auth.kind === "ownerToken" ? ownerTokenApp(c) : c.json(serializeApp(auth.app));
});

/** The apps holding a token of the owner's, and removing one (its tokens with it). */
apps.use("/outpost/authorized_apps/*", requireOwner({ read: "admin:read", write: "admin:write" }));
apps.use("/outpost/authorized_apps", requireOwner({ read: "admin:read", write: "admin:write" }));

apps.get("/outpost/authorized_apps", async (c) => {
  const list = await authorizedApps(c.var.ctx.db);
  return c.json(
    list.map(({ app, tokens, scopes, lastUsedAt }) => ({
      ...serializeApp(app),
      tokens,
      authorized_scopes: scopes,
      created_at: app.createdAt.toISOString(),
      last_used_at: lastUsedAt?.toISOString() ?? null,
    })),
  );
});

apps.delete("/outpost/authorized_apps/:id", async (c) => {
  const id = parseMastodonId(c.req.param("id"));
  const removed = id !== undefined && (await deleteAuthorizedApp(c.var.ctx.db, id));
  return removed ? c.json({}) : jsonError(c, 404, "Record not found");
});
