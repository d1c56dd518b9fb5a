/**
 * `POST /oauth/token` and `/oauth/revoke`: the code exchange (PKCE or not), client
 * credentials, revocation.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, request } from "./helpers";
import {
  challengeOf,
  codeOf,
  consent,
  exchange,
  PASSWORD,
  registerApp,
  signIn,
} from "./support/oauth";

describe("POST /oauth/token", () => {
  it("exchanges a code with PKCE, and refuses a wrong or missing verifier", async () => {
    const app = await registerApp();
    const verifier = "v".repeat(20) + crypto.randomUUID() + "x".repeat(10);
    const challenge = await challengeOf(verifier);
    const base = {
      grant_type: "authorization_code",
      client_id: app.client_id,
      redirect_uri: "com.example.app://callback",
    };
    const code1 = codeOf(
      await consent({ app, challenge, password: PASSWORD, address: "10.1.0.1" }),
    );
    const wrong = await exchange({
      ...base,
      code: code1,
      code_verifier: "w".repeat(43),
      client_secret: app.client_secret,
    });
    expect(await wrong.json()).toMatchObject({ error: "invalid_grant" });
    const missing = await exchange({ ...base, code: code1, client_secret: app.client_secret });
    expect(missing.status).toBe(400);
    // A public client may leave its secret out: the verifier proves it asked.
    const ok = await exchange({ ...base, code: code1, code_verifier: verifier });
    expect(ok.status).toBe(200);
    const token = (await ok.json()) as Record<string, unknown>;
    expect(token).toMatchObject({ token_type: "Bearer", scope: "read write follow" });
    expect(ok.headers.get("Cache-Control")).toBe("no-store");
    const me = await api("/v1/timelines/home", { token: String(token.access_token) });
    expect(me.status).toBe(200);
  });

  it("takes JSON, a form, a body without a content type, and HTTP Basic", async () => {
    const app = await registerApp();
    const redirect_uri = "com.example.app://callback";
    const grant = async () =>
      codeOf(await consent({ app, password: PASSWORD, address: "10.1.0.2" }));
    const params = (code: string) => ({
      grant_type: "authorization_code",
      code,
      redirect_uri,
      client_id: app.client_id,
      client_secret: app.client_secret,
    });
    const json = await request("/oauth/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(params(await grant())),
    });
    expect(json.status).toBe(200);
    const bare = await request("/oauth/token", {
      method: "POST",
      body: new URLSearchParams(params(await grant())).toString(),
    });
    expect(bare.status).toBe(200);
    const bareJson = await request("/oauth/token", {
      method: "POST",
      body: JSON.stringify(params(await grant())),
    });
    expect(bareJson.status).toBe(200);
    const basic = await exchange(
      { grant_type: "authorization_code", code: await grant(), redirect_uri },
      { headers: { Authorization: `Basic ${btoa(`${app.client_id}:${app.client_secret}`)}` } },
    );
    expect(basic.status).toBe(200);
  });

  it("refuses a wrong secret, another app's code, a changed redirect_uri, a reused or expired code", async () => {
    const app = await registerApp();
    const other = await registerApp();
    const redirect_uri = "com.example.app://callback";
    const code = codeOf(await consent({ app, password: PASSWORD, address: "10.1.0.3" }));
    const base = {
      grant_type: "authorization_code",
      code,
      redirect_uri,
      client_id: app.client_id,
      client_secret: app.client_secret,
    };
    const secret = await exchange({ ...base, client_secret: "nope" });
    expect([secret.status, ((await secret.json()) as { error: string }).error]).toEqual([
      401,
      "invalid_client",
    ]);
    const foreign = await exchange({
      ...base,
      client_id: other.client_id,
      client_secret: other.client_secret,
    });
    expect(await foreign.json()).toMatchObject({ error: "invalid_grant" });
    const moved = await exchange({ ...base, redirect_uri: "com.example.app://other" });
    expect(await moved.json()).toMatchObject({ error: "invalid_grant" });

    const first = await exchange(base);
    expect(first.status).toBe(200);
    const { access_token } = (await first.json()) as { access_token: string };
    expect((await api("/v1/timelines/home", { token: access_token })).status).toBe(200);
    const replay = await exchange(base);
    expect(await replay.json()).toMatchObject({ error: "invalid_grant" });
    // The replay revoked what the code gave (RFC 6749 §4.1.2).
    expect((await api("/v1/timelines/home", { token: access_token })).status).toBe(401);

    const late = codeOf(await consent({ app, password: PASSWORD, address: "10.1.0.3" }));
    await env.DB.prepare(
      "update oauth_codes set created_at = created_at - 600000 where token_seq is null",
    ).run();
    const expired = await exchange({ ...base, code: late });
    expect(await expired.json()).toMatchObject({
      error: "invalid_grant",
      error_description: "the code has expired",
    });
  });

  it("gives an app its own token by client credentials, which acts for no one", async () => {
    const app = await registerApp();
    const res = await exchange({
      grant_type: "client_credentials",
      client_id: app.client_id,
      client_secret: app.client_secret,
      scope: "read",
    });
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    const self = await api("/v1/apps/verify_credentials", { token: access_token });
    expect(await self.json()).toMatchObject({
      name: "Test app",
      scopes: ["read", "write", "follow"],
    });
    const owner = await api("/v1/timelines/home", { token: access_token });
    expect(owner.status).toBe(422);
    expect(
      await exchange({ grant_type: "password", username: "a", password: "b" }).then((r) =>
        r.json(),
      ),
    ).toMatchObject({ error: "unsupported_grant_type" });
  });

  it("keeps tokens only as hashes and revokes them", async () => {
    const app = await registerApp();
    const token = await signIn(app, { address: "10.1.0.4" });
    const rows = await env.DB.prepare("select * from oauth_tokens").all();
    expect(JSON.stringify(rows.results)).not.toContain(token);
    expect((await api("/v1/apps/verify_credentials", { token })).status).toBe(200);
    const bad = await request("/oauth/revoke", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token, client_id: app.client_id, client_secret: "wrong" }),
    });
    expect(bad.status).toBe(401);
    const res = await request("/oauth/revoke", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token, client_id: app.client_id, client_secret: app.client_secret }),
    });
    expect([res.status, await res.json()]).toEqual([200, {}]);
    expect((await api("/v1/timelines/home", { token })).status).toBe(401);
  });
});

describe("what an exchange needs", () => {
  it("a code issued without PKCE needs the client's secret", async () => {
    const app = await registerApp();
    const code = codeOf(await consent({ app, password: PASSWORD, address: "10.1.1.1" }));
    const base = {
      grant_type: "authorization_code",
      code,
      client_id: app.client_id,
      redirect_uri: "com.example.app://callback",
    };
    const res = await exchange(base);
    expect([res.status, ((await res.json()) as { error: string }).error]).toEqual([
      401,
      "invalid_client",
    ]);
    expect((await exchange({ ...base, client_secret: app.client_secret })).status).toBe(200);
  });

  it("an app holds one token of its own however often it asks (no unbounded writes)", async () => {
    const app = await registerApp();
    const ask = async () => {
      const res = await exchange({
        grant_type: "client_credentials",
        client_id: app.client_id,
        client_secret: app.client_secret,
      });
      return ((await res.json()) as { access_token: string }).access_token;
    };
    const first = await ask();
    for (let i = 0; i < 5; i++) await ask();
    const last = await ask();
    const rows = await env.DB.prepare(
      "select count(*) as n from oauth_tokens t join oauth_apps a on a.seq = t.app_seq where a.client_id = ? and t.kind = 'app'",
    )
      .bind(app.client_id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(1);
    expect((await api("/v1/apps/verify_credentials", { token: first })).status).toBe(401);
    expect((await api("/v1/apps/verify_credentials", { token: last })).status).toBe(200);
  });
});
