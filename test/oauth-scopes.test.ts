/**
 * Every owner route refuses every credential it must refuse: none, an unknown token, a
 * revoked one, an app's own token, a token without the route's scope. The routes are read
 * from the app itself, so a route added later is covered (or must be listed as public).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { api, request } from "./helpers";
import {
  type RegisteredApp,
  registerApp,
  signIn,
  type TokensToRefuse,
  tokensToRefuse,
} from "./support/oauth";

/** Routes anyone may call: discovery, app registration and the streaming API's health check. */
const PUBLIC = [
  /^POST \/api\/v1\/apps$/,
  /^GET \/api\/v1\/streaming\/health$/,
  /^GET \/api\/v[12]\/instance(\/.*)?$/,
  /^GET \/api\/v1\/custom_emojis$/,
  /^GET \/api\/v1\/trends(\/.*)?$/,
];
/** Routes that need the `push` scope: a token without it is a read-only one. */
const PUSH_ROUTES = [/^\w+ \/api\/v1\/push\//];
/** Routes an app's own token may call. */
const APP_ROUTES = [/^GET \/api\/v1\/apps\/verify_credentials$/];

const routes = [
  ...new Set(
    createApp()
      .routes.filter((r) => r.method !== "ALL")
      .filter((r) => r.path.startsWith("/api/") || r.path.startsWith("/metrics"))
      .map((r) => `${r.method} ${r.path.replace(/\/$/, "")}`),
  ),
].filter((r) => !PUBLIC.some((p) => p.test(r)));

const call = (route: string, token: string | null) => {
  const [method = "GET", path = "/"] = route.split(" ");
  const url = path.replaceAll(/:\w+/g, "1").replace(/^\/api/, "");
  const body = method === "GET" || method === "DELETE" ? undefined : {};
  return path.startsWith("/api")
    ? api(url, { method, token, body })
    : request(path, {
        method,
        headers: token === null ? {} : { Authorization: `Bearer ${token}` },
      });
};

let app: RegisteredApp;
let tokens: TokensToRefuse;

beforeAll(async () => {
  tokens = await tokensToRefuse("10.9.0");
  app = tokens.app;
});

describe("every owner route", () => {
  it("is found (the list is not empty)", () => {
    expect(routes.length).toBeGreaterThan(20);
    expect(routes).toContain("POST /api/v1/statuses");
    expect(routes).toContain("GET /metrics");
  });

  it.each(routes)("%s refuses no token, an unknown one and a revoked one (401)", async (route) => {
    for (const token of [null, "not-a-token", tokens.revoked]) {
      const res = await call(route, token);
      expect(res.status, `${route} with ${token}`).toBe(401);
      expect(((await res.json()) as { error: string }).error).toMatch(/access token/);
    }
  });

  it.each(routes.filter((r) => !APP_ROUTES.some((p) => p.test(r))))(
    "%s refuses an app's own token (422) and a token without its scope (403)",
    async (route) => {
      const own = await call(route, tokens.own);
      expect(own.status, `${route} with an app token`).toBe(422);
      const pushing = PUSH_ROUTES.some((p) => p.test(route));
      const lacking = await call(route, pushing ? tokens.read : tokens.push);
      expect(lacking.status, `${route} with a token without its scope`).toBe(403);
      expect(await lacking.json()).toEqual({
        error: "This action is outside the authorized scopes",
      });
      if (!route.startsWith("GET")) {
        expect((await call(route, tokens.read)).status, `${route} with a read token`).toBe(403);
      }
    },
  );
});

describe("scopes", () => {
  it("grants granular scopes: read:statuses reads timelines, write:favourites only favourites", async () => {
    const reader = await signIn(app, { scope: "read:statuses", address: "10.9.1.1" });
    expect((await api("/v1/timelines/home", { token: reader })).status).toBe(200);
    expect((await api("/v1/notifications", { token: reader })).status).toBe(403);
    const faver = await signIn(app, { scope: "write:favourites", address: "10.9.1.2" });
    expect((await api("/v1/statuses/1/favourite", { method: "POST", token: faver })).status).toBe(
      404,
    );
    expect((await api("/v1/statuses", { token: faver, body: { status: "x" } })).status).toBe(403);
  });

  it("keeps the instance's operation to admin scopes: read does not reach metrics or the app list", async () => {
    for (const path of ["/metrics", "/api/outpost/authorized_apps"]) {
      const res = await request(path, { headers: { Authorization: `Bearer ${tokens.read}` } });
      expect(res.status, path).toBe(403);
    }
  });

  it("grants follows to the deprecated follow scope", async () => {
    const follow = await signIn(app, { scope: "follow", address: "10.9.1.3" });
    expect((await api("/v1/accounts/1/follow", { method: "POST", token: follow })).status).toBe(
      404,
    );
    expect((await api("/v1/accounts/1", { token: follow })).status).toBe(403);
  });

  it("keeps the OWNER_TOKEN working everywhere (scripts)", async () => {
    expect((await api("/v1/timelines/home")).status).toBe(200);
    expect(
      (await request("/metrics", { headers: { Authorization: "Bearer test-owner-token" } })).status,
    ).toBe(200);
  });

  it("lists the apps the owner authorised and removes one, its tokens with it", async () => {
    const other = await registerApp({ client_name: "Removable" });
    const token = await signIn(other, { address: "10.9.1.4" });
    const list = (await (await api("/outpost/authorized_apps")).json()) as {
      id: string;
      name: string;
    }[];
    const entry = list.find((a) => a.name === "Removable");
    expect(entry).toBeDefined();
    expect((await api("/outpost/authorized_apps", { token })).status).toBe(403);
    expect((await api(`/outpost/authorized_apps/${entry?.id}`, { method: "DELETE" })).status).toBe(
      200,
    );
    expect((await api("/v1/timelines/home", { token })).status).toBe(401);
  });
});
