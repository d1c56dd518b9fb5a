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
import { checkPassword } from "./password";
import {
  type AuthorizationRequest,
  checkRequest,
  destinationOf,
  OOB,
  REQUEST_FIELDS,
  redirectSource,
  redirectTo,
} from "./request";
import { checkCsrf, csrfToken, signedIn, signIn } from "./session";

export const authorize = new Hono<AppEnv>();

export { addressKey, MIN_PASSWORD_LENGTH } from "./password";

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
  // Same-origin: the form's POST then says where it comes from (`Origin`), which the CSRF
  // check reads; nothing, the code least of all, goes to another site in a `Referer`.
  c.header("Referrer-Policy", "same-origin");
  c.header("X-Frame-Options", "DENY");
  c.header("X-Content-Type-Options", "nosniff");
  return c.html(render(nonce), options.status);
}

function problem(
  c: Context<AppEnv>,
  status: Status,
  message: string | { message: string; back?: string },
) {
  const { message: text, back } =
    typeof message === "string" ? { message, back: undefined } : message;
  return page(
    c,
    (nonce) =>
      problemPage({ nonce, title: "This request cannot be answered", message: text, back }),
    { status },
  );
}

/**
 * Tells the app the answer: a redirect to its URI with `params`, once the owner has acted.
 * An out-of-band app has no URI to go back to: the page says it instead.
 */
function answerApp(
  c: Context<AppEnv>,
  redirectUri: string,
  params: { error: string; error_description: string; state: string | undefined },
) {
  if (redirectUri === OOB) return problem(c, 400, params.error_description);
  return c.redirect(redirectTo(redirectUri, params), 302);
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
  const destination = destinationOf(redirectUri);
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
    // Not redirected: anyone may register any URI, and a link that bounced straight to it
    // would make this server an open redirector (RFC 9700 §4.11.2). The person may go back.
    const { redirect, error, description, state } = checked;
    const back =
      redirect === OOB
        ? undefined
        : redirectTo(redirect, { error, error_description: description, state });
    return problem(c, 400, { message: `The app's request is wrong: ${description}.`, back });
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
    return answerApp(c, redirect, { error, error_description: description, state });
  }
  const { request } = checked;
  const decision = form.decision;
  if (decision === "deny") {
    return answerApp(c, request.redirectUri, {
      error: "access_denied",
      error_description: "The owner denied the request",
      state: request.state,
    });
  }
  if (decision !== "approve")
    return consent(c, request, {
      askPassword: true,
      status: 400,
      error: "Choose approve or deny.",
    });

  if (request.forceLogin || !(await signedIn(c))) {
    const checked = await checkPassword(c, form.password);
    if (!checked.ok) {
      if (checked.reason === "unset") return problem(c, checked.status, checked.message);
      return consent(c, request, {
        askPassword: true,
        status: checked.status,
        error: checked.message,
      });
    }
    await signIn(c, checked.password);
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
