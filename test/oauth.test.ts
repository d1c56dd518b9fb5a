/**
 * OAuth 2 as Mastodon apps use it: registering an app, the consent page and its form, the
 * metadata, and the cron's cleanup (the token endpoint: oauth-token.test.ts).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fetchWithVars, request, runCron } from "./helpers";
import { codeOf, consent, exchange, Jar, PASSWORD, registerApp, signIn } from "./support/oauth";

const count = async (table: string) =>
  (await env.DB.prepare(`select count(*) as n from ${table}`).first<{ n: number }>())?.n ?? 0;

describe("POST /api/v1/apps", () => {
  it("registers an app from JSON, a form, or a list; custom schemes and oob", async () => {
    const json = await registerApp({
      redirect_uris: ["com.example.app://callback", "urn:ietf:wg:oauth:2.0:oob"],
    });
    expect(json.redirect_uris).toEqual(["com.example.app://callback", "urn:ietf:wg:oauth:2.0:oob"]);
    expect(json.client_id).toMatch(/^[\w-]{43}$/);
    expect(json.client_secret).toMatch(/^[\w-]{43}$/);
    expect(json.id).toMatch(/^\d{15,19}$/);
    expect(json.scopes).toEqual(["read", "write", "follow"]);

    const spaced = await registerApp({
      redirect_uris: "https://a.example/cb https://b.example/cb",
    });
    expect(spaced.redirect_uris).toEqual(["https://a.example/cb", "https://b.example/cb"]);

    const form = await request("/api/v1/apps", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "client_name=Form+app&redirect_uris=urn:ietf:wg:oauth:2.0:oob&scopes=read+write&website=https://app.example",
    });
    expect(form.status).toBe(200);
    const body = (await form.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      name: "Form app",
      website: "https://app.example",
      scopes: ["read", "write"],
    });
    expect(body.redirect_uri).toBe("urn:ietf:wg:oauth:2.0:oob");
  });

  it("keeps only the secret's hash", async () => {
    const app = await registerApp();
    const row = await env.DB.prepare("select * from oauth_apps where client_id = ?")
      .bind(app.client_id)
      .first<Record<string, unknown>>();
    expect(JSON.stringify(row)).not.toContain(app.client_secret);
  });

  it.each([
    [{ redirect_uris: "javascript:alert(1)" }, /javascript/],
    [{ redirect_uris: "/relative" }, /absolute/],
    [{ redirect_uris: "https://a.example/cb#frag" }, /fragment/],
    [{ redirect_uris: "" }, /blank/],
    [{ client_name: "" }, /client_name/],
    [{ scopes: "read delete:everything" }, /delete:everything/],
    [{ website: "ftp://x.example" }, /website/],
  ])("refuses %j with a 422", async (change, message) => {
    const res = await request("/api/v1/apps", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        client_name: "x",
        redirect_uris: "urn:ietf:wg:oauth:2.0:oob",
        ...change,
      }),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
  });
});

describe("the consent page", () => {
  it("names the app, the scopes and where the answer goes, with a strict CSP and no CORS", async () => {
    const app = await registerApp(
      { client_name: "Ivory <test>" },
      "https://ivory.example/callback",
    );
    const res = await request(
      `/oauth/authorize?response_type=code&client_id=${app.client_id}&redirect_uri=${encodeURIComponent("https://ivory.example/callback")}&scope=read+write`,
      { headers: { Origin: "https://elk.example" } },
    );
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain("Ivory &lt;test&gt;");
    expect(page).toContain("ivory.example");
    expect(page).toContain('<input type="password" name="password"');
    expect(page).toMatch(/read your|read everything/);
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self' https://ivory.example");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(res.headers.getSetCookie().join()).toMatch(
      /__Host-outpost_csrf=.*HttpOnly.*Secure.*SameSite=Strict/i,
    );
  });

  it("shows, never redirects to, an unregistered or altered redirect URI", async () => {
    const app = await registerApp({}, "https://app.example/cb");
    for (const uri of [
      "https://evil.example/cb",
      "https://app.example/cb/",
      "https://app.example/cb?x=1",
    ]) {
      const res = await request(
        `/oauth/authorize?response_type=code&client_id=${app.client_id}&redirect_uri=${encodeURIComponent(uri)}`,
      );
      expect(res.status).toBe(400);
      expect(res.headers.get("Location")).toBeNull();
    }
    const unknown = await request(
      "/oauth/authorize?response_type=code&client_id=nope&redirect_uri=x",
    );
    expect(unknown.status).toBe(400);
  });

  it("shows other errors with a link back to the app, never bouncing there (no open redirect)", async () => {
    const app = await registerApp({ scopes: "read" }, "https://app.example/cb");
    const base = `/oauth/authorize?client_id=${app.client_id}&redirect_uri=${encodeURIComponent("https://app.example/cb")}&state=s1`;
    for (const [query, error] of [
      ["&response_type=code&scope=write", "invalid_scope"],
      [
        `&response_type=code&code_challenge=${"a".repeat(43)}&code_challenge_method=plain`,
        "invalid_request",
      ],
      ["&response_type=token", "unsupported_response_type"],
      ["", "invalid_request"],
    ]) {
      const res = await request(`${base}${query}`);
      expect(res.status).toBe(400);
      expect(res.headers.get("Location")).toBeNull();
      const link = /<a href="([^"]+)"/.exec(await res.text())?.[1]?.replaceAll("&amp;", "&") ?? "";
      const back = new URL(link);
      expect(`${back.origin}${back.pathname}`).toBe("https://app.example/cb");
      expect([back.searchParams.get("error"), back.searchParams.get("state")]).toEqual([
        error,
        "s1",
      ]);
    }
    // Once the owner has acted on the form, an error goes back to the app.
    const tampered = await consent({
      app,
      scope: "read",
      password: PASSWORD,
      address: "10.0.1.1",
      tamper: (f) => f.set("scope", "write"),
    });
    expect(tampered.status).toBe(302);
    expect(new URL(tampered.headers.get("Location") ?? "").searchParams.get("error")).toBe(
      "invalid_scope",
    );
  });

  it("grants `read` when the app names no scope, as Mastodon does", async () => {
    const app = await registerApp({ scopes: "read write" });
    const res = await consent({ app, scope: "", password: PASSWORD, address: "10.0.1.2" });
    const token = await exchange({
      grant_type: "authorization_code",
      code: codeOf(res),
      client_id: app.client_id,
      client_secret: app.client_secret,
      redirect_uri: "com.example.app://callback",
    });
    expect(await token.json()).toMatchObject({ scope: "read" });
  });

  it("says where a custom scheme really goes, and refuses redirect URIs a CSP cannot name", async () => {
    const app = await registerApp({}, "ivory-evil://mastodon.social/cb");
    const page = await request(`/oauth/authorize?response_type=code&client_id=${app.client_id}`);
    expect(await page.text()).toContain("<strong>ivory-evil://mastodon.social/cb</strong>");
    expect(page.headers.get("Content-Security-Policy")).toContain(
      "form-action 'self' ivory-evil:;",
    );
    for (const uri of ["https://*/cb", "https://a;sandbox,b/x", "https://a'b/x"]) {
      const res = await request("/api/v1/apps", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ client_name: "x", redirect_uris: uri }),
      });
      expect(res.status, uri).toBe(422);
    }
  });

  it("approves with the password: a code and the state on the redirect, a session after", async () => {
    const app = await registerApp();
    const jar = new Jar();
    const res = await consent({ app, jar, password: PASSWORD, state: "xyz", address: "10.0.0.1" });
    const location = new URL(res.headers.get("Location") ?? "");
    expect(`${location.protocol}//${location.host}${location.pathname}`).toBe(
      "com.example.app://callback",
    );
    expect(location.searchParams.get("state")).toBe("xyz");
    codeOf(res);
    expect(res.headers.getSetCookie().join()).toMatch(
      /__Host-outpost_session=.*HttpOnly.*SameSite=Lax/i,
    );
    // Signed in: the next app needs no password, unless it forces a sign-in.
    const second = await registerApp();
    const again = await request(
      `/oauth/authorize?response_type=code&client_id=${second.client_id}&redirect_uri=${encodeURIComponent("com.example.app://callback")}`,
      { headers: { Cookie: jar.header() } },
    );
    expect(await again.text()).not.toContain('name="password"');
    codeOf(await consent({ app: second, jar, address: "10.0.0.1" }));
    const forced = await consent({ app: second, jar, forceLogin: true, address: "10.0.0.1" });
    expect(forced.status).toBe(401);
  });

  it("shows the code to an out-of-band app", async () => {
    const app = await registerApp({}, "urn:ietf:wg:oauth:2.0:oob");
    const res = await consent({ app, password: PASSWORD, address: "10.0.0.2" });
    expect(res.status).toBe(200);
    const code = /<code id="authorization-code">([\w-]+)<\/code>/.exec(await res.text())?.[1];
    expect(code).toMatch(/^[\w-]{43}$/);
    const token = await exchange({
      grant_type: "authorization_code",
      code: code ?? "",
      client_id: app.client_id,
      client_secret: app.client_secret,
      redirect_uri: "urn:ietf:wg:oauth:2.0:oob",
    });
    expect(token.status).toBe(200);
  });

  it("denies: access_denied on the redirect, no code", async () => {
    const app = await registerApp();
    const codes = await count("oauth_codes");
    const res = await consent({ app, decision: "deny", state: "s", address: "10.0.0.3" });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("Location") ?? "");
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe("s");
    expect(await count("oauth_codes")).toBe(codes);
  });

  it("refuses a wrong password with an error on the page, storing nothing", async () => {
    const app = await registerApp();
    const [codes, sessions] = [await count("oauth_codes"), await count("sessions")];
    const res = await consent({ app, password: "wrong", address: "10.0.0.4" });
    expect(res.status).toBe(401);
    expect(await res.text()).toMatch(/role="alert">That password is not right/);
    expect(res.headers.getSetCookie().join()).not.toContain("outpost_session");
    expect([await count("oauth_codes"), await count("sessions")]).toEqual([codes, sessions]);
  });

  it("refuses a form without its CSRF token, with another's, or from another site", async () => {
    const app = await registerApp();
    const codes = await count("oauth_codes");
    const missing = await consent({
      app,
      password: PASSWORD,
      address: "10.0.0.5",
      tamper: (f) => f.delete("csrf_token"),
    });
    expect(missing.status).toBe(403);
    const other = await consent({
      app,
      password: PASSWORD,
      address: "10.0.0.5",
      tamper: (f) => f.set("csrf_token", "x".repeat(43)),
    });
    expect(other.status).toBe(403);
    // Cookie and field agree, but the browser says the form came from elsewhere.
    const page = await request(
      `/oauth/authorize?response_type=code&client_id=${app.client_id}&redirect_uri=${encodeURIComponent("com.example.app://callback")}`,
    );
    const jar = new Jar();
    jar.take(page);
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
    const cross = await request("/oauth/authorize", {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Cookie: jar.header(),
        Origin: "https://evil.example",
      },
      body: new URLSearchParams({
        client_id: app.client_id,
        redirect_uri: "com.example.app://callback",
        response_type: "code",
        csrf_token: csrf,
        password: PASSWORD,
        decision: "approve",
      }).toString(),
    });
    expect(cross.status).toBe(403);
    expect(await count("oauth_codes")).toBe(codes);
  });

  it("limits password attempts per address, the right password included once over", async () => {
    const app = await registerApp();
    for (let i = 0; i < 5; i++) {
      expect((await consent({ app, password: `guess${i}`, address: "10.0.0.6" })).status).toBe(401);
    }
    const limited = await consent({ app, password: PASSWORD, address: "10.0.0.6" });
    expect(limited.status).toBe(429);
    expect(await limited.text()).toContain("Too many attempts");
    // Another address is not held back.
    codeOf(await consent({ app, password: PASSWORD, address: "10.0.0.7" }));
  });
});

it("describes itself at /.well-known/oauth-authorization-server (RFC 8414)", async () => {
  const res = await request("/.well-known/oauth-authorization-server");
  const doc = (await res.json()) as Record<string, unknown>;
  expect(doc).toMatchObject({
    issuer: "https://outpost.test/",
    authorization_endpoint: "https://outpost.test/oauth/authorize",
    token_endpoint: "https://outpost.test/oauth/token",
    revocation_endpoint: "https://outpost.test/oauth/revoke",
    app_registration_endpoint: "https://outpost.test/api/v1/apps",
    code_challenge_methods_supported: ["S256"],
    response_types_supported: ["code"],
  });
  expect(doc.scopes_supported).toEqual(
    expect.arrayContaining(["read", "write:statuses", "follow", "push", "profile"]),
  );
});

it("forgets at the cron expired sessions, day-old codes and apps that never got a token", async () => {
  const used = await registerApp({ client_name: "Used" });
  await signIn(used, { address: "10.2.0.1" });
  const abandoned = await registerApp({ client_name: "Abandoned" });
  const fresh = await registerApp({ client_name: "Fresh" });
  const day = 24 * 3600_000 + 60_000;
  await env.DB.batch([
    env.DB.prepare(
      "update oauth_apps set created_at = created_at - ? where client_id in (?, ?)",
    ).bind(day, used.client_id, abandoned.client_id),
    env.DB.prepare("update oauth_codes set created_at = created_at - ?").bind(day),
    env.DB.prepare("update sessions set expires_at = 0"),
  ]);
  await runCron();
  const names = await env.DB.prepare("select name from oauth_apps where client_id in (?, ?, ?)")
    .bind(used.client_id, abandoned.client_id, fresh.client_id)
    .all<{ name: string }>();
  expect(names.results.map((r) => r.name).sort()).toEqual(["Fresh", "Used"]);
  expect([await count("oauth_codes"), await count("sessions")]).toEqual([0, 0]);
});

describe("the owner's session", () => {
  it("ends when OWNER_PASSWORD changes; a short password lets no one in", async () => {
    const app = await registerApp();
    const jar = new Jar();
    codeOf(await consent({ app, jar, password: PASSWORD, address: "10.3.0.1" }));
    const url = `https://outpost.test/oauth/authorize?response_type=code&client_id=${app.client_id}`;
    const page = (vars: Record<string, string>) =>
      fetchWithVars(vars, url, { headers: { Cookie: jar.header() } }).then((r) => r.text());
    expect(await page({})).not.toContain('name="password"');
    expect(await page({ OWNER_PASSWORD: "another-long-password" })).toContain('name="password"');

    const short = await consent({
      app,
      password: "short",
      address: "10.3.0.2",
      tamper: (f) => f.set("force_login", "true"),
    });
    expect(short.status).toBe(401);
    const fields = new URLSearchParams({
      client_id: app.client_id,
      response_type: "code",
      csrf_token: jar.cookies.get("__Host-outpost_csrf") ?? "",
      password: "short",
      decision: "approve",
    });
    const refused = await fetchWithVars(
      { OWNER_PASSWORD: "short" },
      "https://outpost.test/oauth/authorize",
      {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Cookie: jar.header(),
          "CF-Connecting-IP": "10.3.0.3",
        },
        body: fields.toString(),
      },
    );
    expect(refused.status).toBe(503);
    expect(await refused.text()).toMatch(/shorter than 12 characters/);
  });

  it("refuses a form a browser says came from another site", async () => {
    const app = await registerApp();
    const res = await consent({
      app,
      password: PASSWORD,
      address: "10.3.0.4",
      headers: { "Sec-Fetch-Site": "cross-site" },
    });
    expect(res.status).toBe(403);
  });

  it("tells an out-of-band app's owner of a denial on the page (a URN cannot be followed)", async () => {
    const app = await registerApp({}, "urn:ietf:wg:oauth:2.0:oob");
    const res = await consent({ app, decision: "deny", address: "10.3.0.5" });
    expect([res.status, res.headers.get("Location")]).toEqual([400, null]);
    expect(await res.text()).toContain("The owner denied the request");
  });
});
