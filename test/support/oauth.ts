/**
 * Signing in as a Mastodon app does, inside workerd: register an app, open the consent page,
 * post its form with the password (cookies and CSRF token as a browser keeps them), and
 * exchange the code.
 */
import { expect } from "vitest";
import { request } from "../helpers";

export const PASSWORD = "test-owner-password";

export interface RegisteredApp {
  readonly id: string;
  readonly client_id: string;
  readonly client_secret: string;
  readonly redirect_uris: string[];
  readonly scopes: string[];
}

export async function registerApp(
  body: Record<string, unknown> = {},
  redirect = "com.example.app://callback",
): Promise<RegisteredApp> {
  const res = await request("/api/v1/apps", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      client_name: "Test app",
      redirect_uris: redirect,
      scopes: "read write follow",
      ...body,
    }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as RegisteredApp;
}

/** A browser's cookie jar, enough for one origin. */
export class Jar {
  readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair?.indexOf("=") ?? -1;
      if (pair !== undefined && eq > 0) this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/** The hidden fields of the consent form, by name. */
export function hiddenFields(page: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields.set(m[1] ?? "", (m[2] ?? "").replaceAll("&amp;", "&").replaceAll("&quot;", '"'));
  }
  return fields;
}

export interface AuthorizeOptions {
  readonly app: RegisteredApp;
  readonly scope?: string;
  readonly redirectUri?: string;
  readonly state?: string;
  readonly challenge?: string;
  readonly forceLogin?: boolean;
}

export function authorizeUrl(options: AuthorizeOptions): string {
  const params = new URLSearchParams({
    response_type: "code",
    client_id: options.app.client_id,
    redirect_uri: options.redirectUri ?? options.app.redirect_uris[0] ?? "",
    scope: options.scope ?? "read write follow",
  });
  if (options.state !== undefined) params.set("state", options.state);
  if (options.challenge !== undefined) {
    params.set("code_challenge", options.challenge);
    params.set("code_challenge_method", "S256");
  }
  if (options.forceLogin === true) params.set("force_login", "true");
  return `/oauth/authorize?${params}`;
}

export interface Consent {
  readonly jar?: Jar;
  /** The password typed; none leaves the field out. */
  readonly password?: string;
  readonly decision?: "approve" | "deny";
  /** The client address, so that each test has its own password rate limit. */
  readonly address: string;
  /** Changes the form's fields before posting. */
  readonly tamper?: (fields: Map<string, string>) => void;
  /** More headers on the form's POST. */
  readonly headers?: Record<string, string>;
}

/** Opens the consent page and posts its form; the POST's response. */
export async function consent(options: AuthorizeOptions & Consent): Promise<Response> {
  const jar = options.jar ?? new Jar();
  const page = await request(authorizeUrl(options), {
    headers: { Cookie: jar.header(), "CF-Connecting-IP": options.address },
  });
  expect(page.status, "the consent page").toBe(200);
  jar.take(page);
  const fields = hiddenFields(await page.text());
  fields.set("decision", options.decision ?? "approve");
  if (options.password !== undefined) fields.set("password", options.password);
  options.tamper?.(fields);
  const res = await request("/oauth/authorize", {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Cookie: jar.header(),
      "CF-Connecting-IP": options.address,
      Origin: "https://outpost.test",
      ...options.headers,
    },
    body: new URLSearchParams([...fields]).toString(),
  });
  jar.take(res);
  return res;
}

/** The code of an approval's redirect. */
export function codeOf(res: Response): string {
  expect(res.status, "an approval redirects").toBe(302);
  const code = new URL(res.headers.get("Location") ?? "").searchParams.get("code");
  expect(code).toBeTruthy();
  return code ?? "";
}

export async function exchange(params: Record<string, string>, init: RequestInit = {}) {
  return request("/oauth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...init.headers },
    body: new URLSearchParams(params).toString(),
  });
}

/** A token for `app` with `scope`, through the whole flow (without PKCE). */
export async function signIn(
  app: RegisteredApp,
  options: { scope?: string; address: string },
): Promise<string> {
  const code = codeOf(await consent({ app, ...options, password: PASSWORD }));
  const res = await exchange({
    grant_type: "authorization_code",
    code,
    client_id: app.client_id,
    client_secret: app.client_secret,
    redirect_uri: app.redirect_uris[0] ?? "",
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** RFC 7636's S256 of a verifier. */
export async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return btoa(String.fromCharCode(...new Uint8Array(digest)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** Real tokens that every owner route must refuse, and a read-only one, all of `app`. */
export interface TokensToRefuse {
  readonly app: RegisteredApp;
  /** Revoked through `/oauth/revoke`. */
  readonly revoked: string;
  /** The app's own (client credentials): it acts for no one. */
  readonly own: string;
  /** Holding only `push`. */
  readonly push: string;
  readonly read: string;
}

/** Makes `TokensToRefuse`; `subnet` keeps the password attempts of callers apart. */
export async function tokensToRefuse(subnet: string): Promise<TokensToRefuse> {
  const app = await registerApp({ scopes: "read write follow push" });
  const revoked = await signIn(app, { address: `${subnet}.1` });
  const revoke = await request("/oauth/revoke", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      token: revoked,
      client_id: app.client_id,
      client_secret: app.client_secret,
    }),
  });
  expect(revoke.status).toBe(200);
  const own = await exchange({
    grant_type: "client_credentials",
    client_id: app.client_id,
    client_secret: app.client_secret,
  });
  return {
    app,
    revoked,
    own: ((await own.json()) as { access_token: string }).access_token,
    push: await signIn(app, { scope: "push", address: `${subnet}.2` }),
    read: await signIn(app, { scope: "read", address: `${subnet}.3` }),
  };
}
