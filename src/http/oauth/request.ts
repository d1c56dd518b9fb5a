/**
 * An authorization request (RFC 6749 §4.1.1, with PKCE, RFC 7636), read the same way from
 * the consent page's query and from its form. Errors about the client or its redirect URI are
 * shown to the person (never redirected: the URI is not trusted yet); the others go back to
 * the app on its redirect URI, as RFC 6749 §4.1.2.1 says.
 */

import { parseScopes, within } from "../../mastodon/scopes";
import type { Db } from "../../storage/db";
import { findApp } from "../../storage/oauth";
import type { OAuthAppRow } from "../../storage/schema";

export const OOB = "urn:ietf:wg:oauth:2.0:oob";

export interface AuthorizationRequest {
  readonly app: OAuthAppRow;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly state: string | undefined;
  readonly codeChallenge: string | undefined;
  readonly forceLogin: boolean;
}

export type RequestCheck =
  | { readonly ok: true; readonly request: AuthorizationRequest }
  /** Shown on the page: the client or its redirect URI is wrong. */
  | { readonly ok: false; readonly show: string }
  /** Sent back to the app. */
  | {
      readonly ok: false;
      readonly redirect: string;
      readonly error: string;
      readonly description: string;
      readonly state: string | undefined;
    };

/** The parameters an authorization request carries (and the consent form echoes). */
export const REQUEST_FIELDS = [
  "response_type",
  "client_id",
  "redirect_uri",
  "scope",
  "state",
  "code_challenge",
  "code_challenge_method",
  "force_login",
] as const;

/** RFC 7636 §4.2: base64url of a SHA-256 is 43 characters; allow what the grammar allows. */
const CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;
const MAX_STATE = 1024;

const param = (params: Record<string, unknown>, name: string): string | undefined => {
  const value = Object.hasOwn(params, name) ? params[name] : undefined;
  return typeof value === "string" && value !== "" ? value : undefined;
};

export async function checkRequest(db: Db, params: Record<string, unknown>): Promise<RequestCheck> {
  const clientId = param(params, "client_id");
  if (clientId === undefined || clientId.length > 200) {
    return { ok: false, show: "The request names no application (client_id is missing)." };
  }
  const app = await findApp(db, clientId);
  if (app === undefined)
    return { ok: false, show: "No application is registered with this client_id." };
  const given = param(params, "redirect_uri");
  const redirectUri = given ?? (app.redirectUris.length === 1 ? app.redirectUris[0] : undefined);
  if (redirectUri === undefined || !app.redirectUris.includes(redirectUri)) {
    return {
      ok: false,
      show: "The redirect URI is not one the application registered, so the request cannot be answered.",
    };
  }
  const state = param(params, "state");
  const back = (error: string, description: string): RequestCheck => ({
    ok: false,
    redirect: redirectUri,
    error,
    description,
    state: state?.slice(0, MAX_STATE),
  });
  const responseType = param(params, "response_type");
  if (responseType === undefined) return back("invalid_request", "response_type is missing");
  if (responseType !== "code") {
    return back("unsupported_response_type", "response_type must be code");
  }
  if (state !== undefined && state.length > MAX_STATE) {
    return back("invalid_request", `state is longer than ${MAX_STATE} characters`);
  }
  // No scope asked: Mastodon's default, `read`.
  const scopes = parseScopes(param(params, "scope"));
  if (!scopes.ok) return back("invalid_scope", `unknown scopes: ${scopes.unknown.join(" ")}`);
  if (!within(scopes.scopes, new Set(app.scopes.split(" ")))) {
    return back("invalid_scope", "the scopes asked for exceed those the application registered");
  }
  const challenge = param(params, "code_challenge");
  const method = param(params, "code_challenge_method");
  if (challenge !== undefined) {
    if ((method ?? "plain") !== "S256") {
      return back("invalid_request", "code_challenge_method must be S256");
    }
    if (!CHALLENGE.test(challenge)) return back("invalid_request", "code_challenge is malformed");
  } else if (method !== undefined) {
    return back("invalid_request", "code_challenge_method without code_challenge");
  }
  const force = param(params, "force_login");
  return {
    ok: true,
    request: {
      app,
      redirectUri,
      scopes: scopes.scopes,
      state,
      codeChallenge: challenge,
      forceLogin: force === "true" || force === "1",
    },
  };
}

/** The app's redirect URI with `params` added to its query (its own query kept). */
export function redirectTo(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return url.href;
}

/**
 * What a CSP `form-action` must allow for the consent form's answer to reach the app: its
 * redirect URI's origin, or its scheme when it has no origin (`com.example.app:`). Chrome
 * applies `form-action` to the redirect after the POST.
 */
export function redirectSource(uri: string): string | undefined {
  if (uri === OOB) return undefined;
  const url = URL.parse(uri);
  if (url === null) return undefined;
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return SCHEME.test(url.protocol) ? url.protocol : undefined;
  }
  // Only a plain host may go into the policy: the URL parser lets `*`, `;` or `,` through.
  return HOST.test(url.hostname) && /^\d*$/.test(url.port) ? url.origin : undefined;
}

/** A URI scheme as CSP source expressions take it. */
const SCHEME = /^[a-z][a-z0-9+.-]*:$/;
/** A DNS name (letters, digits, hyphens; IDNs as punycode) or an IP literal. */
const HOST =
  /^(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?|\[[0-9a-f:.]+\])$/;

/** Whether a redirect URI can be named in a CSP and shown plainly: see `redirectSource`. */
export const isPlainRedirect = (uri: string): boolean =>
  uri === OOB || redirectSource(uri) !== undefined;

/**
 * Where an approval sends the owner, as the consent page says it: the origin of an http(s)
 * URI; the whole URI otherwise, since a custom scheme's "host" says nothing about who
 * answers it (`evil-app://mastodon.social` is not mastodon.social).
 */
export function destinationOf(uri: string): string {
  if (uri === OOB) return "a code for you to copy into the app";
  const url = URL.parse(uri);
  if (url !== null && (url.protocol === "http:" || url.protocol === "https:")) return url.origin;
  return uri.length > 200 ? `${uri.slice(0, 200)}…` : uri;
}
