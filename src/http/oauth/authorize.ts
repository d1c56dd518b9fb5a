/**
 * `GET /oauth/authorize` shows the consent page; `POST /oauth/authorize` is its form. The
 * owner approves with their password (unless signed in already and the app did not force a
 * sign-in); approval redirects to the app with a code, denial with `access_denied`. Every
 * POST needs the CSRF token; password attempts are rate-limited per address before the
 * password is compared; a wrong password stores nothing.
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../env";
import { randomSecret, sha256Hex } from "../../lib/hash";
import { codePage, consentPage, problemPage } from "../../pages/consent";
import { storeCode } from "../../storage/oauth";
import { readBody } from "../api/input";
import { sameSecret } from "../middleware/owner-auth";
import {
  type AuthorizationRequest,
  checkRequest,
  OOB,
  REQUEST_FIELDS,
  redirectSource,
  redirectTo,
} from "./request";
import { checkCsrf, csrfToken, signedIn, signIn } from "./session";

export const authorize = new Hono<AppEnv>();

/** The consent form is a few short fields. */
const MAX_FORM_BYTES = 16 * 1024;

type Status = 200 | 400 | 401 | 403 | 413 | 429 | 503;

/** An HTML page with a strict CSP: its one inline style by nonce, forms only to us (and the app). */
function page(
  c: Context<AppEnv>,
  render: (nonce: string) => ReturnType<typeof consentPage>,
  options: { status: Status; formTarget?: string },
) {
  const nonce = randomSecret();
  const formAction = ["'self'", ...(options.formTarget === undefined ? [] : [options.formTarget])];
  c.header(
    "Content-Security-Policy",
    `default-src 'none'; style-src 'nonce-${nonce}'; form-action ${formAction.join(" ")}; frame-ancestors 'none'; base-uri 'none'`,
  );
  c.header("Cache-Control", "no-store");
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Frame-Options", "DENY");
  return c.html(render(nonce), options.status);
}

function problem(c: Context<AppEnv>, status: Status, message: string) {
  return page(
    c,
    (nonce) => problemPage({ nonce, title: "This request cannot be answered", message }),
    {
      status,
    },
  );
}

function consent(
  c: Context<AppEnv>,
  request: AuthorizationRequest,
  options: { askPassword: boolean; error?: string; status: Status },
) {
  const { app, redirectUri, scopes, state, codeChallenge, forceLogin } = request;
  const fields: [string, string][] = [
    ["response_type", "code"],
    ["client_id", app.clientId],
    ["redirect_uri", redirectUri],
    ["scope", scopes.join(" ")],
    ...(state === undefined ? [] : [["state", state] as [string, string]]),
    ...(codeChallenge === undefined
      ? []
      : [
          ["code_challenge", codeChallenge] as [string, string],
          ["code_challenge_method", "S256"] as [string, string],
        ]),
    ...(forceLogin ? [["force_login", "true"] as [string, string]] : []),
  ];
  const destination =
    redirectUri === OOB
      ? "a code for you to copy into the app"
      : URL.parse(redirectUri)?.host || redirectUri;
  const csrf = csrfToken(c);
  return page(
    c,
    (nonce) =>
      consentPage({
        nonce,
        appName: app.name,
        website: app.website,
        scopes,
        destination,
        fields,
        csrfToken: csrf,
        askPassword: options.askPassword,
        error: options.error,
      }),
    { status: options.status, formTarget: redirectSource(redirectUri) },
  );
}

authorize.get("/", async (c) => {
  const checked = await checkRequest(c.var.ctx.db, c.req.query());
  if (!checked.ok) {
    if ("show" in checked) return problem(c, 400, checked.show);
    const { redirect, error, description, state } = checked;
    return c.redirect(redirectTo(redirect, { error, error_description: description, state }), 302);
  }
  const { request } = checked;
  const askPassword = request.forceLogin || !(await signedIn(c));
  return consent(c, request, { askPassword, status: 200 });
});

authorize.post("/", async (c) => {
  const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded" && type !== "multipart/form-data") {
    return problem(c, 400, "The consent form must be sent as a form.");
  }
  const body = await readBody(c, { maxBytes: MAX_FORM_BYTES });
  if (!body.ok) return problem(c, body.status, body.error);
  const form = body.body;
  const csrf = await checkCsrf(c, form.csrf_token);
  if (!csrf.ok) return problem(c, 403, `Nothing was done: ${csrf.reason}.`);

  const params = Object.fromEntries(
    REQUEST_FIELDS.flatMap((name) => (Object.hasOwn(form, name) ? [[name, form[name]]] : [])),
  );
  const { ctx } = c.var;
  const checked = await checkRequest(ctx.db, params);
  if (!checked.ok) {
    if ("show" in checked) return problem(c, 400, checked.show);
    const { redirect, error, description, state } = checked;
    return c.redirect(redirectTo(redirect, { error, error_description: description, state }), 302);
  }
  const { request } = checked;
  const decision = form.decision;
  if (decision === "deny") {
    return c.redirect(
      redirectTo(request.redirectUri, {
        error: "access_denied",
        error_description: "The owner denied the request",
        state: request.state,
      }),
      302,
    );
  }
  if (decision !== "approve")
    return consent(c, request, {
      askPassword: true,
      status: 400,
      error: "Choose approve or deny.",
    });

  if (request.forceLogin || !(await signedIn(c))) {
    const password = form.password;
    if (ctx.config.ownerPassword === undefined) {
      return problem(c, 503, "This instance has no OWNER_PASSWORD set, so no one can sign in.");
    }
    const address = c.req.header("cf-connecting-ip") ?? "unknown";
    const { success } = await c.env.PASSWORD_RATE_LIMITER.limit({ key: `password:${address}` });
    if (!success) {
      return consent(c, request, {
        askPassword: true,
        status: 429,
        error: "Too many attempts. Wait a minute, then try again.",
      });
    }
    if (typeof password !== "string" || !(await sameSecret(password, ctx.config.ownerPassword))) {
      return consent(c, request, {
        askPassword: true,
        status: 401,
        error: "That password is not right.",
      });
    }
    await signIn(c);
  }

  const code = randomSecret();
  await storeCode(ctx.db, {
    codeHash: await sha256Hex(code),
    appSeq: request.app.seq,
    redirectUri: request.redirectUri,
    scopes: request.scopes.join(" "),
    codeChallenge: request.codeChallenge ?? null,
    createdAt: ctx.now(),
  });
  if (request.redirectUri === OOB) {
    return page(c, (nonce) => codePage({ nonce, appName: request.app.name, code }), {
      status: 200,
    });
  }
  return c.redirect(redirectTo(request.redirectUri, { code, state: request.state }), 302);
});
