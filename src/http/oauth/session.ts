/**
 * The owner's browser: a session cookie once they gave their password, and the CSRF cookie
 * that every form's token must match (double submit). Cookies are `HttpOnly`, `Secure` and
 * `__Host-` prefixed when the instance is served over https. The session is `SameSite=Lax`
 * so that an app sending the owner to the consent page (a top-level navigation from another
 * site) finds them signed in; every state-changing request is a POST that also needs the
 * CSRF token, whose cookie is `SameSite=Strict`.
 *
 * One sign-in opens one session (one row) and sets two cookies holding its token: the
 * consent page's (`Lax`) and the dashboard's (`SameSite=Strict`, `/admin` reads no other), so
 * that no navigation from another site, a link included, ever arrives at the dashboard signed
 * in. Signing out deletes the row: both cookies end together.
 */
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { AppContext } from "../../context";
import type { AppEnv } from "../../env";
import { randomSecret, sha256Hex } from "../../lib/hash";
import { createSession, deleteSession, sessionIsLive } from "../../storage/oauth";
import { sameSecret } from "../middleware/owner-auth";

/** How long a sign-in lasts. */
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

const SECRET = /^[A-Za-z0-9_-]{43}$/;

function cookieName(ctx: AppContext, base: string): string {
  return ctx.config.origin.startsWith("https:") ? `__Host-${base}` : base;
}

function cookieOptions(ctx: AppContext, sameSite: "Strict" | "Lax", maxAgeMs: number) {
  return {
    path: "/",
    httpOnly: true,
    secure: ctx.config.origin.startsWith("https:"),
    sameSite,
    maxAge: Math.floor(maxAgeMs / 1000),
  } as const;
}

/** The request's CSRF token, set as a cookie when it has none (or a malformed one). */
export function csrfToken<E extends AppEnv>(c: Context<E>): string {
  const { ctx } = c.var;
  const name = cookieName(ctx, "outpost_csrf");
  const current = getCookie(c, name);
  if (current !== undefined && SECRET.test(current)) return current;
  const token = randomSecret();
  setCookie(c, name, token, cookieOptions(ctx, "Strict", SESSION_TTL_MS));
  return token;
}

export type CsrfCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether a form POST carries the CSRF token of its cookie (constant-time), and comes from
 * our own origin when the browser says where it comes from.
 */
export async function checkCsrf<E extends AppEnv>(
  c: Context<E>,
  given: unknown,
): Promise<CsrfCheck> {
  const { ctx } = c.var;
  const origin = c.req.header("Origin");
  const fetchSite = c.req.header("Sec-Fetch-Site");
  if (
    (origin !== undefined && origin !== "null" && origin !== ctx.config.origin) ||
    fetchSite === "cross-site"
  ) {
    return { ok: false, reason: "the form was sent from another site" };
  }
  const cookie = getCookie(c, cookieName(ctx, "outpost_csrf"));
  if (cookie === undefined || typeof given !== "string" || given === "") {
    return { ok: false, reason: "the form's security token is missing; reload the page" };
  }
  if (!(await sameSecret(cookie, given))) {
    return { ok: false, reason: "the form's security token does not match; reload the page" };
  }
  return { ok: true };
}

/**
 * What a session is stored as: the hash of its token and of the password it was opened with,
 * so that changing `OWNER_PASSWORD` ends every session at once.
 */
async function sessionHash(token: string, password: string): Promise<string> {
  return sha256Hex(`${token}\n${await sha256Hex(password)}`);
}

/** The session's cookies: the consent page's, and the dashboard's (`/admin`). */
export type SessionCookie = "consent" | "dashboard";

const SESSION_COOKIES = {
  consent: { base: "outpost_session", sameSite: "Lax" },
  dashboard: { base: "outpost_admin", sameSite: "Strict" },
} as const satisfies Record<SessionCookie, { base: string; sameSite: "Lax" | "Strict" }>;

/** Whether the request comes from a signed-in browser, by the cookie its page reads. */
export async function signedIn<E extends AppEnv>(
  c: Context<E>,
  cookie: SessionCookie = "consent",
): Promise<boolean> {
  const { ctx } = c.var;
  const value = getCookie(c, cookieName(ctx, SESSION_COOKIES[cookie].base));
  const password = ctx.config.ownerPassword;
  if (value === undefined || !SECRET.test(value) || password === undefined) return false;
  return sessionIsLive(ctx.db, await sessionHash(value, password), ctx.now());
}

/** Signs the browser out: the session of its dashboard cookie is deleted, both cookies go. */
export async function signOut<E extends AppEnv>(c: Context<E>): Promise<void> {
  const { ctx } = c.var;
  const value = getCookie(c, cookieName(ctx, SESSION_COOKIES.dashboard.base));
  const password = ctx.config.ownerPassword;
  if (value !== undefined && SECRET.test(value) && password !== undefined) {
    await deleteSession(ctx.db, await sessionHash(value, password));
  }
  for (const { base, sameSite } of Object.values(SESSION_COOKIES)) {
    setCookie(c, cookieName(ctx, base), "", cookieOptions(ctx, sameSite, 0));
  }
}

/** Signs the browser in with `password`: a new session, stored by its hash, its cookies set. */
export async function signIn<E extends AppEnv>(c: Context<E>, password: string): Promise<void> {
  const { ctx } = c.var;
  const token = randomSecret();
  const at = ctx.now();
  await createSession(ctx.db, {
    tokenHash: await sessionHash(token, password),
    at,
    expiresAt: new Date(at.getTime() + SESSION_TTL_MS),
  });
  for (const { base, sameSite } of Object.values(SESSION_COOKIES)) {
    setCookie(c, cookieName(ctx, base), token, cookieOptions(ctx, sameSite, SESSION_TTL_MS));
  }
}
