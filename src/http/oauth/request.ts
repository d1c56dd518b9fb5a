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
  if (param(params, "response_type") !== "code") {
    return back("unsupported_response_type", "response_type must be code");
  }
  if (state !== undefined && state.length > MAX_STATE) {
    return back("invalid_request", `state is longer than ${MAX_STATE} characters`);
  }
  const scopes = parseScopes(param(params, "scope"), app.scopes);
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
  return url.protocol === "http:" || url.protocol === "https:" ? url.origin : url.protocol;
}
