/**
 * Real Mastodon client libraries sign in to Outpost the way apps do: register an app, send
 * the person to the authorize page (here: Node's fetch, acting as the browser, with cookies
 * and the CSRF token), take the code from the redirect or the out-of-band page, exchange it
 * (masto.js with PKCE, megalodon without), then use the API and revoke the token.
 */
import { createOAuthAPIClient, createRestAPIClient, MastoHttpError, type mastodon } from "masto";
import generator, { detector } from "megalodon";
import { describe, expect, it } from "vitest";
import {
  alertText,
  authorizeUrl,
  Browser,
  consent,
  open,
  pkce,
  randomState,
  submit,
} from "./consent";
import { origin } from "./outpost";

const instance = globalThis.outpostUnderTest;
if (instance === undefined) throw new Error("test/interop/setup.ts starts the instance");
const { password } = instance;

const OOB = "urn:ietf:wg:oauth:2.0:oob";
const APP_CALLBACK = "com.example.app://callback";

/** The status of a rejected call, whichever library made it (masto.js or axios). */
async function refusal(call: Promise<unknown>): Promise<{ status: number; data: unknown }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof MastoHttpError) {
      return { status: error.statusCode, data: { error: error.message } };
    }
    const response = (error as { response?: { status: number; data: unknown } }).response;
    if (response !== undefined) return response;
    throw error;
  }
  throw new Error("the call succeeded");
}

describe("the instance describes itself", () => {
  it("megalodon's detector recognises a Mastodon-compatible server", async () => {
    expect(await detector(origin)).toBe("mastodon");
  });

  it("serves its OAuth metadata (RFC 8414)", async () => {
    const res = await fetch(`${origin}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    const meta = await res.json();
    expect(meta).toMatchObject({
      issuer: expect.stringMatching(new RegExp(`^${origin}/?$`)),
      authorization_endpoint: `${origin}/oauth/authorize`,
      token_endpoint: `${origin}/oauth/token`,
      revocation_endpoint: `${origin}/oauth/revoke`,
      response_types_supported: expect.arrayContaining(["code"]),
      grant_types_supported: expect.arrayContaining(["authorization_code", "client_credentials"]),
      code_challenge_methods_supported: expect.arrayContaining(["S256"]),
      scopes_supported: expect.arrayContaining(["read", "write", "follow", "push"]),
    });
  });
});

describe("masto.js: a native app, redirect to a custom scheme, PKCE", () => {
  const rest = createRestAPIClient({ url: origin });
  const oauth = createOAuthAPIClient({ url: origin });
  const browser = new Browser();
  let app: mastodon.v1.Client;
  let clientId: string;
  let clientSecret: string;
  let accessToken: string;

  it("registers an app", async () => {
    app = await rest.v1.apps.create({
      clientName: "masto.js interop",
      redirectUris: APP_CALLBACK,
      scopes: "read write",
      website: "https://masto.example",
    });
    expect(app.name).toBe("masto.js interop");
    expect(app.clientId).toEqual(expect.any(String));
    expect(app.clientSecret).toEqual(expect.any(String));
    clientId = app.clientId as string;
    clientSecret = app.clientSecret as string;
  });

  it("signs in with the password and exchanges the code with its PKCE verifier", async () => {
    const { verifier, challenge } = pkce();
    const state = randomState();
    const url = authorizeUrl(origin, {
      clientId,
      redirectUri: APP_CALLBACK,
      scope: "read write",
      state,
      codeChallenge: challenge,
    });
    const { code, page, outcome } = await consent(browser, url, password);
    expect(page.form?.asksPassword).toBe(true);
    expect(outcome.kind === "redirect" && outcome.location.href.startsWith(APP_CALLBACK)).toBe(
      true,
    );
    expect(browser.holds("outpost_session")).toBe(true);

    // masto.js sends what it is given, snake_cased: the verifier rides along.
    const params = {
      grantType: "authorization_code",
      clientId,
      clientSecret,
      redirectUri: APP_CALLBACK,
      code,
      scope: "read write",
      codeVerifier: verifier,
    } as const;
    const token = await oauth.token.create(params);
    expect(token.tokenType.toLowerCase()).toBe("bearer");
    expect(token.scope.split(" ").sort()).toEqual(["read", "write"]);
    expect(token.createdAt).toEqual(expect.any(Number));
    accessToken = token.accessToken;
  });

  it("a code with a challenge is refused without its verifier, or with another", async () => {
    for (const extra of [{}, { codeVerifier: pkce().verifier }]) {
      const url = authorizeUrl(origin, {
        clientId,
        redirectUri: APP_CALLBACK,
        scope: "read",
        state: randomState(),
        codeChallenge: pkce().challenge,
      });
      // Signed in already: the session cookie skips the password.
      const { code, page } = await consent(browser, url, "");
      expect(page.form?.asksPassword).toBe(false);
      const refused = await refusal(
        oauth.token.create({
          grantType: "authorization_code",
          clientId,
          clientSecret,
          redirectUri: APP_CALLBACK,
          code,
          ...extra,
        }),
      );
      expect(refused).toEqual({ status: 400, data: { error: "invalid_grant" } });
    }
  });

  it("uses the API with the token: the owner, a post, the home timeline", async () => {
    const client = createRestAPIClient({ url: origin, accessToken });
    const me = await client.v1.accounts.verifyCredentials();
    expect(me.username).toBe("owner");
    expect(me.acct).toBe("owner");
    const self = await client.v1.apps.verifyCredentials();
    expect(self.name).toBe("masto.js interop");

    const status = await client.v1.statuses.create({
      status: "Hello from masto.js",
      visibility: "public",
    });
    expect(status.account.id).toBe(me.id);
    const home = await client.v1.timelines.home.list({ limit: 20 });
    expect(home.map((s) => s.id)).toContain(status.id);
    expect(home.find((s) => s.id === status.id)?.content).toContain("Hello from masto.js");
  });

  it("revokes the token; the next call is refused", async () => {
    await oauth.revoke({ clientId, clientSecret, token: accessToken });
    const client = createRestAPIClient({ url: origin, accessToken });
    expect((await refusal(client.v1.accounts.verifyCredentials())).status).toBe(401);
  });

  it("an app token (client credentials) is the app's, not the owner's", async () => {
    const token = await oauth.token.create({
      grantType: "client_credentials",
      clientId,
      clientSecret,
      redirectUri: APP_CALLBACK,
      scope: "read",
    });
    const client = createRestAPIClient({ url: origin, accessToken: token.accessToken });
    expect((await client.v1.apps.verifyCredentials()).name).toBe("masto.js interop");
    const refused = await refusal(client.v1.accounts.verifyCredentials());
    expect([401, 403, 422]).toContain(refused.status);
  });
});

describe("megalodon: out of band, no PKCE", () => {
  const browser = new Browser(); // a person who has not signed in
  let clientId: string;
  let clientSecret: string;
  let code: string;
  let accessToken: string;

  it("registers an app and gets a code shown on the page", async () => {
    const client = generator("mastodon", origin);
    const app = await client.registerApp("megalodon interop", {
      scopes: ["read", "write", "follow"],
      website: "https://megalodon.example",
    });
    expect(app.redirect_uri).toBe(OOB);
    expect(app.url).toEqual(expect.stringContaining(`${origin}/oauth/authorize?`));
    clientId = app.client_id;
    clientSecret = app.client_secret;
    const shown = await consent(browser, app.url as string, password);
    expect(shown.page.form?.asksPassword).toBe(true);
    expect(shown.outcome.kind).toBe("page");
    code = shown.code;
  });

  it("exchanges the code, without PKCE", async () => {
    const client = generator("mastodon", origin);
    const token = await client.fetchAccessToken(clientId, clientSecret, code);
    expect(token.token_type.toLowerCase()).toBe("bearer");
    expect(token.scope?.split(" ").sort()).toEqual(["follow", "read", "write"]);
    accessToken = token.access_token;
  });

  it("uses the API with the token: the owner, a post, the home timeline", async () => {
    const client = generator("mastodon", origin, accessToken);
    const me = (await client.verifyAccountCredentials()).data;
    expect(me.username).toBe("owner");
    expect((await client.verifyAppCredentials()).data.name).toBe("megalodon interop");
    const posted = (await client.postStatus("Hello from megalodon", { visibility: "public" })).data;
    expect("id" in posted).toBe(true);
    const id = (posted as { id: string }).id;
    const home = (await client.getHomeTimeline({ limit: 20 })).data;
    expect(home.map((s) => s.id)).toContain(id);
  });

  it("revokes the token; the next call is refused", async () => {
    const client = generator("mastodon", origin);
    expect((await client.revokeToken(clientId, clientSecret, accessToken)).status).toBe(200);
    const authed = generator("mastodon", origin, accessToken);
    expect((await refusal(authed.verifyAccountCredentials())).status).toBe(401);
  });
});

describe("the authorize page as a form", () => {
  const browser = new Browser();
  let app: { client_id: string; client_secret: string };
  const redirectUri = "https://app.example/callback";
  const url = (extra: { state?: string; forceLogin?: boolean } = {}) =>
    authorizeUrl(origin, { clientId: app.client_id, redirectUri, scope: "read", ...extra });

  it("a form-encoded registration, with two redirect URIs", async () => {
    const res = await fetch(`${origin}/api/v1/apps`, {
      method: "POST",
      body: new URLSearchParams({
        client_name: "form app",
        redirect_uris: `${redirectUri} ${OOB}`,
        scopes: "read",
      }),
    });
    expect(res.status).toBe(200);
    app = await res.json();
    expect(app.client_id).toEqual(expect.any(String));
  });

  it("approve, then the code is exchanged with HTTP Basic and a form body", async () => {
    const { code } = await consent(browser, url(), password);
    const basic = Buffer.from(`${app.client_id}:${app.client_secret}`).toString("base64");
    const res = await fetch(`${origin}/oauth/token`, {
      method: "POST",
      headers: { authorization: `Basic ${basic}` },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: redirectUri,
      }),
    });
    expect(res.status).toBe(200);
    const token = (await res.json()) as { access_token: string; token_type: string };
    expect(token).toMatchObject({ token_type: "Bearer", scope: "read" });
    const me = await fetch(`${origin}/api/v1/accounts/verify_credentials`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(me.status).toBe(200);
    // A read token cannot post.
    const post = await fetch(`${origin}/api/v1/statuses`, {
      method: "POST",
      headers: { authorization: `Bearer ${token.access_token}` },
      body: new URLSearchParams({ status: "not allowed" }),
    });
    expect(post.status).toBe(403);

    // The code works once; a replay is refused and revokes what it gave (RFC 6749 §4.1.2).
    const replay = await fetch(`${origin}/oauth/token`, {
      method: "POST",
      headers: { authorization: `Basic ${basic}` },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: redirectUri,
      }),
    });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: "invalid_grant" });
    const after = await fetch(`${origin}/api/v1/accounts/verify_credentials`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(after.status).toBe(401);
  });

  it("deny goes back with access_denied and the state", async () => {
    const state = randomState();
    const page = await open(browser, url({ state }));
    expect(page.status).toBe(200);
    expect(page.form?.decisions).toEqual(expect.arrayContaining(["approve", "deny"]));
    expect(browser.holds("outpost_csrf")).toBe(true);
    const outcome = await submit(browser, page, { decision: "deny" });
    expect(outcome.kind).toBe("redirect");
    if (outcome.kind !== "redirect") return;
    expect(outcome.status).toBe(302);
    expect(outcome.location.origin + outcome.location.pathname).toBe(redirectUri);
    expect(outcome.location.searchParams.get("error")).toBe("access_denied");
    expect(outcome.location.searchParams.get("state")).toBe(state);
    expect(outcome.location.searchParams.has("code")).toBe(false);
  });

  it("a submission without the CSRF cookie, or with another token, is refused", async () => {
    const page = await open(browser, url());
    const stranger = new Browser(); // a cross-site form: it cannot send our cookies
    const forged = await submit(stranger, page, {});
    expect(forged.kind === "page" && forged.page.status >= 400).toBe(true);
    const form = page.form;
    if (form === undefined) throw new Error("no form");
    const fields = form.fields.map(([k, v]) => [k, k === "csrf_token" ? `${v}x` : v] as const);
    const refused = await submit(browser, { ...page, form: { ...form, fields } }, {});
    expect(refused.kind === "page" && refused.page.status >= 400).toBe(true);
  });

  it("force_login asks for the password again, though signed in", async () => {
    expect(browser.holds("outpost_session")).toBe(true);
    expect((await open(browser, url())).form?.asksPassword).toBe(false);
    expect((await open(browser, url({ forceLogin: true }))).form?.asksPassword).toBe(true);
  });

  // Last in the file: it spends the address's password attempts.
  it("a wrong password answers 401 with the error; too many answer 429", async () => {
    const guesser = new Browser();
    const statuses: number[] = [];
    for (let i = 0; i < 10 && !statuses.includes(429); i++) {
      const page = await open(guesser, url());
      const outcome = await submit(guesser, page, { password: `guess ${i}` });
      if (outcome.kind !== "page") throw new Error(`a wrong password led to ${outcome.location}`);
      statuses.push(outcome.page.status);
      if (outcome.page.status === 401) {
        expect(alertText(outcome.page.html)).toBeTruthy();
        expect(outcome.page.form?.asksPassword).toBe(true);
      }
    }
    expect(statuses[0]).toBe(401);
    expect(statuses.at(-1)).toBe(429);
    expect(guesser.holds("outpost_session")).toBe(false);
  });
});
