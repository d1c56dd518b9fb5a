/**
 * The OAuth consent page: which app asks, for what, and where the answer goes; the owner's
 * password when they are not signed in (or the app forces a sign-in); approve or deny. Also
 * the page that shows a code to copy (out-of-band apps) and the page of an unanswerable
 * request.
 */
import { html } from "hono/html";
import { layout } from "./layout";

/** What each scope lets an app do, in the owner's words. */
const DESCRIPTIONS = new Map<string, string>([
  ["read", "read everything: your posts, timelines, notifications, account and lists"],
  ["write", "do anything: post, favourite, boost, follow, edit your profile"],
  ["follow", "see and change whom you follow, block and mute"],
  ["push", "receive push notifications"],
  ["profile", "see your profile (and nothing else)"],
  ["admin:read", "read the instance's operation (metrics)"],
  ["admin:write", "change the instance's operation"],
]);

const describe = (scope: string): string => {
  const known = DESCRIPTIONS.get(scope);
  if (known !== undefined) return known;
  const [verb, ...what] = scope.split(":");
  const thing = what.join(" ").replaceAll("_", " ");
  return verb === "read" ? `read your ${thing}` : verb === "write" ? `change your ${thing}` : scope;
};

export interface ConsentProps {
  readonly nonce: string;
  readonly appName: string;
  readonly website: string | null;
  readonly scopes: readonly string[];
  /** Where the answer goes: a host, or a description ("a code for you to copy"). */
  readonly destination: string;
  /** The request's parameters, echoed as hidden fields. */
  readonly fields: readonly (readonly [string, string])[];
  readonly csrfToken: string;
  readonly askPassword: boolean;
  readonly error?: string;
}

export function consentPage(props: ConsentProps) {
  return layout({
    title: `Authorise ${props.appName}`,
    nonce: props.nonce,
    body: html`<main>
<h1>Authorise ${props.appName}?</h1>
${props.website === null ? "" : html`<p class="meta">${props.website}</p>`}
<p><strong>${props.appName}</strong> asks to use your account. It will be able to:</p>
<ul class="scopes">${props.scopes.map((s) => html`<li><code>${s}</code>: ${describe(s)}</li>`)}</ul>
<p class="meta">Approving sends it to <strong>${props.destination}</strong>.</p>
${props.error === undefined ? "" : html`<p role="alert">${props.error}</p>`}
<form class="consent" method="post" action="/oauth/authorize">
${props.fields.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<input type="hidden" name="csrf_token" value="${props.csrfToken}">
${
  props.askPassword
    ? html`<label>Your password
<input type="password" name="password" autocomplete="current-password" required autofocus>
</label>`
    : ""
}
<div class="buttons">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny" formnovalidate>Deny</button>
</div>
</form>
</main>`,
  });
}

/** The code an out-of-band app asks the owner to paste into it. */
export function codePage(props: { nonce: string; appName: string; code: string }) {
  return layout({
    title: "Authorisation code",
    nonce: props.nonce,
    body: html`<main>
<h1>Authorisation code</h1>
<p>Copy this code into <strong>${props.appName}</strong>:</p>
<p><code id="authorization-code">${props.code}</code></p>
<p class="meta">It works once, within ten minutes.</p>
</main>`,
  });
}

export interface ProblemProps {
  readonly nonce: string;
  readonly title: string;
  readonly message: string;
  /** A link back to the app carrying the error, for the person to follow (never automatic). */
  readonly back?: string;
}

/** A request that cannot be answered (no such app, a redirect URI it did not register...). */
export function problemPage(props: ProblemProps) {
  return layout({
    title: props.title,
    nonce: props.nonce,
    body: html`<main><h1>${props.title}</h1><p role="alert">${props.message}</p>
${props.back === undefined ? "" : html`<p><a href="${props.back}" rel="noreferrer">Return to the app</a></p>`}</main>`,
  });
}
