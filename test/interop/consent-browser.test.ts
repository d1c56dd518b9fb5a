/**
 * The consent page in a real browser (Debian's Chromium, headless, driven by puppeteer-core),
 * used as a person uses it: follow the sign-in link of an app's page on another site, type
 * the password, press Approve, land on the app's redirect (served here, on loopback) with a
 * code; a wrong password shows the error and stores nothing. Skipped when Chromium is missing, except in CI, where
 * `.ci/run` installs it.
 */
import { createServer } from "node:http";
import type { Browser, BrowserContext, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, skipWithoutChromium } from "./chromium";
import { authorizeUrl, pkce, randomState } from "./consent";
import { api, origin } from "./outpost";

const instance = globalThis.outpostUnderTest;
if (instance === undefined) throw new Error("test/interop/setup.ts starts the instance");
const { password } = instance;

const skip = skipWithoutChromium("consent-browser.test.ts");

/**
 * The app, a web page on another site than the instance's (`localhost`, where the instance
 * is `127.0.0.1`): `/start` links to the authorize URL, as a web client's sign-in button
 * does, and `/callback` is its redirect URI, recording what reaches it.
 */
async function appServer() {
  const hits: URL[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/callback") hits.push(url); // not the browser's /favicon.ico
    const to = url.searchParams.get("to") ?? "";
    const html =
      url.pathname === "/start"
        ? `<a id="sign-in" href="${to.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}">Sign in</a>`
        : "<title>signed in</title>";
    res.writeHead(200, { "content-type": "text/html" }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no app port");
  const base = `http://localhost:${address.port}`;
  return {
    server,
    hits,
    url: `${base}/callback`,
    start: (authorize: string) => `${base}/start?to=${encodeURIComponent(authorize)}`,
  };
}

interface App {
  readonly name: string;
  readonly client_id: string;
  readonly client_secret: string;
}

/** Registers an app whose redirect is `redirectUri`, as an app does (JSON). */
async function register(name: string, redirectUri: string): Promise<App> {
  const res = await fetch(`${origin}/api/v1/apps`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_name: name, redirect_uris: redirectUri, scopes: "read write" }),
  });
  if (!res.ok) throw new Error(`POST /api/v1/apps: ${res.status} ${await res.text()}`);
  return (await res.json()) as App;
}

/** Exchanges a code as the app does: its redirect URI, its credentials, its verifier. */
async function exchange(app: App, redirectUri: string, extra: Record<string, string>) {
  const res = await fetch(`${origin}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      grant_type: "authorization_code",
      redirect_uri: redirectUri,
      client_id: app.client_id,
      client_secret: app.client_secret,
      ...extra,
    }),
  });
  return { status: res.status, body: (await res.json()) as { access_token?: string } };
}

/** The names of the apps the owner has let in (holding a token). */
async function authorizedApps(): Promise<string[]> {
  return (await api<{ name: string }[]>("/api/outpost/authorized_apps")).map((a) => a.name);
}

describe.skipIf(skip)("the consent page in Chromium", () => {
  let browser: Browser;
  let callback: Awaited<ReturnType<typeof appServer>>;
  let app: App;
  let signedIn: BrowserContext; // the context of the person who typed the right password

  beforeAll(async () => {
    [browser, callback] = await Promise.all([launchChromium(), appServer()]);
    app = await register("Chromium interop", callback.url);
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => callback?.server.close(resolve));
  });

  const url = (extra: { state?: string; codeChallenge?: string } = {}, of: App = app) =>
    authorizeUrl(origin, {
      clientId: of.client_id,
      redirectUri: callback.url,
      scope: "read write",
      ...extra,
    });

  /** Presses a decision button and waits for the page it leads to. */
  async function press(page: Page, decision: "approve" | "deny") {
    const [response] = await Promise.all([
      page.waitForNavigation(),
      page.click(`button[name="decision"][value="${decision}"]`),
    ]);
    return response;
  }

  /** Opens the consent page from the app's page, following its sign-in link (cross-site). */
  async function signInFromApp(page: Page, authorize: string) {
    await page.goto(callback.start(authorize));
    const [response] = await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(authorize);
  }

  /** Where the browser landed, when it is the app's callback. */
  function landedOnCallback(page: Page): URLSearchParams {
    const landed = new URL(page.url());
    expect(`${landed.origin}${landed.pathname}`).toBe(callback.url);
    return landed.searchParams;
  }

  const sessionCookies = async (context: BrowserContext) =>
    (await context.cookies()).filter((c) => /^(__Host-)?outpost_session/.test(c.name));

  const passwordField = 'input[type="password"][name="password"]';

  it("type the password, approve: the app gets a code it exchanges for a token", async () => {
    signedIn = await browser.createBrowserContext();
    const page = await signedIn.newPage();
    const state = randomState();
    const { verifier, challenge } = pkce();
    await signInFromApp(page, url({ state, codeChallenge: challenge }));
    await page.type(passwordField, password);
    await press(page, "approve");

    const landed = landedOnCallback(page);
    expect(landed.get("state")).toBe(state);
    const code = landed.get("code");
    if (code === null) throw new Error(`no code in ${page.url()}`);
    expect(callback.hits).toHaveLength(1);

    const token = await exchange(app, callback.url, { code, code_verifier: verifier });
    expect(token.status).toBe(200);
    const me = await fetch(`${origin}/api/v1/accounts/verify_credentials`, {
      headers: { authorization: `Bearer ${token.body.access_token}` },
    });
    expect(((await me.json()) as { username: string }).username).toBe("owner");
    expect(await authorizedApps()).toContain(app.name);

    const [session] = await sessionCookies(signedIn);
    expect(session?.httpOnly).toBe(true);
  });

  it("signed in, the next approval asks no password; deny goes back with access_denied", async () => {
    const page = await signedIn.newPage();
    const state = randomState();
    // The session cookie (SameSite=Lax) comes along on the app's link from another site.
    await signInFromApp(page, url({ state }));
    expect(await page.$(passwordField)).toBeNull();
    await press(page, "deny");
    const landed = landedOnCallback(page);
    expect(landed.get("error")).toBe("access_denied");
    expect(landed.get("state")).toBe(state);
    expect(landed.has("code")).toBe(false);
  });

  it("a wrong password shows the error and stores nothing; the right one then works", async () => {
    const other = await register("Chromium, mistyped", callback.url);
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    const before = callback.hits.length;
    await page.goto(url({ state: randomState() }, other));
    await page.type(passwordField, "not the password");
    const response = await press(page, "approve");

    expect(response?.status()).toBe(401);
    expect(new URL(page.url()).origin).toBe(origin);
    const alert = await page.$eval('[role="alert"]', (e) =>
      (e as unknown as { textContent: string | null }).textContent?.trim(),
    );
    expect(alert).toBeTruthy();
    // No redirect, so no code left the server; no session; the app holds nothing.
    expect(callback.hits).toHaveLength(before);
    expect(await sessionCookies(context)).toEqual([]);
    expect(await authorizedApps()).not.toContain(other.name);
    // The form is there again, empty; a fresh start asks for the password again too.
    expect(await page.$eval(passwordField, (e) => (e as unknown as { value: string }).value)).toBe(
      "",
    );
    const state = randomState();
    await page.goto(url({ state }, other));
    expect(await page.$(passwordField)).not.toBeNull();

    await page.type(passwordField, password);
    await press(page, "approve");
    const landed = landedOnCallback(page);
    expect(landed.get("state")).toBe(state);
    const code = landed.get("code");
    if (code === null) throw new Error(`no code in ${page.url()}`);
    expect((await exchange(other, callback.url, { code })).status).toBe(200);
    expect(await authorizedApps()).toContain(other.name);
    await context.close();
  });
});
