/**
 * What stands in front of every dashboard route: its headers (a strict CSP naming the one
 * style sheet by its hash, forms to ourselves only, no script, no framing, no caching), the
 * owner's session (the dashboard's `SameSite=Strict` cookie), and the CSRF token of every
 * form. Each is a middleware the router mounts for all its routes, so that a route added
 * later is covered without asking.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { JsonObject } from "../../activitypub/parse";
import type { AppEnv } from "../../env";
import { ProblemPage } from "../../pages/admin/layout";
import { ADMIN_STYLE } from "../../pages/admin/style";
import { readBody } from "../api/input";
import { checkCsrf, csrfToken, signedIn } from "../oauth/session";

export type AdminEnv = {
  Bindings: AppEnv["Bindings"];
  Variables: AppEnv["Variables"] & {
    /** The CSRF token a page's forms carry. */
    csrf: string;
    /** A POST's form, once its CSRF token was checked. */
    form: JsonObject;
  };
};

/** The dashboard's forms are a few short fields. */
const MAX_FORM_BYTES = 8 * 1024;

let styleSource: Promise<string> | undefined;

/** `'sha256-…'` of the dashboard's style sheet, computed once per isolate. */
function styleHash(): Promise<string> {
  styleSource ??= crypto.subtle
    .digest("SHA-256", new TextEncoder().encode(ADMIN_STYLE))
    .then((d) => `'sha256-${btoa(String.fromCharCode(...new Uint8Array(d)))}'`);
  return styleSource;
}

/** The headers of every answer under `/admin`, whatever it is. */
export function adminHeaders(): MiddlewareHandler<AdminEnv> {
  return async function adminHeaders(c, next) {
    await next();
    c.res = new Response(c.res.body, c.res);
    const h = c.res.headers;
    h.set(
      "Content-Security-Policy",
      `default-src 'none'; style-src ${await styleHash()}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    );
    h.set("Cache-Control", "no-store");
    // Same-origin: a form's POST says where it comes from (`Origin`), which the CSRF check
    // reads; nothing of the dashboard goes to another site in a `Referer`.
    h.set("Referrer-Policy", "same-origin");
    h.set("X-Frame-Options", "DENY");
    h.set("X-Content-Type-Options", "nosniff");
  };
}

/**
 * The owner's session, by the dashboard's cookie: without it a GET goes to the sign-in page
 * and anything else is refused (401). Pages get the CSRF token their forms carry.
 */
export function requireSession(): MiddlewareHandler<AdminEnv> {
  return async function requireSession(c, next) {
    if (!(await signedIn(c, "dashboard"))) {
      if (c.req.method === "GET" || c.req.method === "HEAD") {
        return c.redirect("/admin/sign-in", 303);
      }
      return c.text("Sign in first.", 401);
    }
    c.set("csrf", csrfToken(c));
    await next();
  };
}

/** A page saying why a form did nothing. */
export function refused(c: Context<AdminEnv>, status: 400 | 403 | 413, message: string) {
  return c.html(<ProblemPage title="Nothing was done" message={message} />, status);
}

/**
 * Every form POST: sent as a form, carrying the CSRF token of its cookie (double submit,
 * from our own origin), or refused (403) before its route does anything. GETs pass.
 */
export function checkForms(): MiddlewareHandler<AdminEnv> {
  return async function checkForms(c, next) {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
    if (type !== "application/x-www-form-urlencoded" && type !== "multipart/form-data") {
      return refused(c, 403, "Nothing was done: this must be sent by the dashboard's form.");
    }
    const body = await readBody(c, { maxBytes: MAX_FORM_BYTES });
    if (!body.ok) return refused(c, body.status, `Nothing was done: ${body.error}.`);
    const csrf = await checkCsrf(c, body.body.csrf_token);
    if (!csrf.ok) return refused(c, 403, `Nothing was done: ${csrf.reason}.`);
    c.set("form", body.body);
    await next();
  };
}
