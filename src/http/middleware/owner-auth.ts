/**
 * Bearer tokens and scopes. Every owner route mounts `requireOwner` with the scopes it needs:
 * the `OWNER_TOKEN` (scripts) holds every scope; an OAuth token holds what the owner
 * approved; an app's own token (client credentials) acts for no one and is refused. Errors
 * are Mastodon's: 401 for a missing, unknown or revoked token, 422 for an app token where an
 * owner is needed, 403 for a scope the token lacks.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppContext } from "../../context";
import type { AppEnv, Principal } from "../../env";
import { sha256Hex } from "../../lib/hash";
import { grants, type Scope } from "../../mastodon/scopes";
import { findToken, touchToken } from "../../storage/oauth";
import { waitUntilOf } from "../background";

/** How stale a token's last-used time may get before it is written again. */
const TOUCH_EVERY_MS = 60 * 60 * 1000;

export async function sameSecret(a: string, b: string): Promise<boolean> {
  // Hashing first gives equal lengths, so the comparison takes the same time whatever differs.
  const encoder = new TextEncoder();
  const [x, y] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(x, y);
}

/** The bearer token of a request: the `Authorization` header only (never the query). */
export function bearerToken(c: Context): string | undefined {
  return c.req.header("Authorization")?.match(/^Bearer\s+([\x21-\x7e]{1,512})\s*$/i)?.[1];
}

export type Authentication =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: "missing" | "invalid" };

/** Who a bearer token speaks for. */
export async function authenticate(
  ctx: AppContext,
  token: string | undefined,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<Authentication> {
  if (token === undefined) return { ok: false, reason: "missing" };
  const { ownerToken } = ctx.config;
  if (ownerToken !== undefined && (await sameSecret(token, ownerToken))) {
    return { ok: true, principal: { kind: "ownerToken" } };
  }
  const found = await findToken(ctx.db, await sha256Hex(token));
  if (found === undefined) return { ok: false, reason: "invalid" };
  const { token: row, app } = found;
  const now = ctx.now();
  if (row.lastUsedAt === null || now.getTime() - row.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
    waitUntil(touchToken(ctx.db, row.seq, now).catch(() => undefined));
  }
  return {
    ok: true,
    principal: { kind: row.kind, tokenSeq: row.seq, app, scopes: new Set(row.scopes.split(" ")) },
  };
}

/** Whether a principal holds `scope` (or one of the alternatives). */
export function holds(principal: Principal, scopes: readonly Scope[]): boolean {
  return principal.kind === "ownerToken" || scopes.some((s) => grants(principal.scopes, s));
}

function unauthorized(c: Context, error: string) {
  return c.json({ error }, 401, {
    "WWW-Authenticate": 'Bearer realm="outpost", error="invalid_token"',
  });
}

/**
 * Sets `c.var.auth` from the bearer token, or refuses. `app: true` lets an app's own token
 * through (the few routes that are about the app, not the owner).
 */
export function requireToken(options: { app?: boolean } = {}): MiddlewareHandler<AppEnv> {
  return async function requireToken(c, next) {
    const result = await authenticate(c.var.ctx, bearerToken(c), waitUntilOf(c));
    if (!result.ok) {
      return unauthorized(
        c,
        result.reason === "missing" ? "The access token is missing" : "The access token is invalid",
      );
    }
    if (result.principal.kind === "app" && options.app !== true) {
      return c.json({ error: "This method requires an authenticated user" }, 422);
    }
    c.set("auth", result.principal);
    await next();
  };
}

/** Refuses a request whose token lacks every one of `scopes` (after `requireToken`). */
export function requireScope(...scopes: Scope[]): MiddlewareHandler<AppEnv> {
  return async function requireScope(c, next) {
    if (!holds(c.var.auth, scopes)) {
      return c.json({ error: "This action is outside the authorized scopes" }, 403);
    }
    await next();
  };
}

/** A scope, or scopes any one of which will do. */
type Needed = Scope | readonly Scope[];

export interface OwnerScopes {
  /** What safe methods (GET, HEAD) need. */
  readonly read: Needed;
  /** What the other methods need. */
  readonly write: Needed;
  /** Paths (ending so) that need another scope than the router's, whatever the method. */
  readonly except?: readonly (readonly [RegExp, Needed])[];
}

/** The scopes (any one of them) a request to a router needs. */
export function neededScope(scopes: OwnerScopes, method: string, path: string): readonly Scope[] {
  const list = (needed: Needed): readonly Scope[] =>
    typeof needed === "string" ? [needed] : needed;
  for (const [pattern, needed] of scopes.except ?? []) if (pattern.test(path)) return list(needed);
  return list(method === "GET" || method === "HEAD" ? scopes.read : scopes.write);
}

/**
 * A router's owner routes: a token that acts as the owner, holding the scope the route
 * needs (Mastodon's, e.g. `read:statuses` to read statuses, `write:favourites` to favourite).
 */
export function requireOwner(scopes: OwnerScopes): MiddlewareHandler<AppEnv> {
  const token = requireToken();
  return async function requireOwner(c, next) {
    const refused = await token(c, async () => {});
    if (refused instanceof Response) return refused;
    if (!holds(c.var.auth, neededScope(scopes, c.req.method, c.req.path))) {
      return c.json({ error: "This action is outside the authorized scopes" }, 403);
    }
    await next();
  };
}
