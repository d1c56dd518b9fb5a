/**
 * CORS: web apps on other origins (Elk, Phanpy) call the client API, the token endpoints,
 * discovery and NodeInfo from the browser; the consent page and the ActivityPub surface get no
 * CORS headers.
 */
import { describe, expect, it } from "vitest";
import { api, linksOf, request, seedNote } from "./helpers";

const APP = "https://elk.example";

function preflight(path: string, method: string, headers = "authorization, content-type") {
  return request(path, {
    method: "OPTIONS",
    headers: {
      Origin: APP,
      "Access-Control-Request-Method": method,
      "Access-Control-Request-Headers": headers,
    },
  });
}

const listed = (res: Response, name: string) =>
  (res.headers.get(name) ?? "").split(",").map((s) => s.trim().toLowerCase());

describe("a preflight", () => {
  it.each([
    ["/api/v1/statuses", "POST"],
    ["/api/v1/statuses/1", "PUT"],
    ["/api/v1/statuses/1", "DELETE"],
    ["/api/v1/instance", "GET"],
    ["/api/v2/instance", "GET"],
    ["/api/v2/notifications", "GET"],
    ["/api/v1/apps", "POST"],
    ["/api/v1/no-such-route", "GET"],
    ["/oauth/token", "POST"],
    ["/oauth/revoke", "POST"],
    ["/.well-known/webfinger", "GET"],
    ["/.well-known/nodeinfo", "GET"],
    ["/.well-known/oauth-authorization-server", "GET"],
    ["/nodeinfo/2.0", "GET"],
    ["/nodeinfo/2.1", "GET"],
  ])("on %s (%s) is answered 204, never 405", async (path, method) => {
    const res = await preflight(path, method, "authorization, content-type, idempotency-key");
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(res.headers.get("Access-Control-Allow-Credentials")).toBeNull();
    expect(listed(res, "Access-Control-Allow-Methods")).toEqual(
      expect.arrayContaining(["get", "post", "put", "patch", "delete"]),
    );
    expect(listed(res, "Access-Control-Allow-Headers")).toEqual(
      expect.arrayContaining(["authorization", "content-type", "idempotency-key"]),
    );
    expect(res.headers.get("Access-Control-Max-Age")).toBe("7200");
    expect(await res.text()).toBe("");
  });

  it("allows what else the app asks for, as Mastodon does, but only header names", async () => {
    const res = await preflight("/api/v1/statuses", "POST", "x-client, bad header, a\tb");
    expect(listed(res, "Access-Control-Allow-Headers")).toEqual([
      "authorization",
      "content-type",
      "idempotency-key",
      "x-d1-bookmark",
      "x-client",
    ]);
    expect(res.headers.get("Vary")).toMatch(/Access-Control-Request-Headers/i);
  });

  it.each(["/oauth/authorize", "/users/owner", "/inbox", "/@owner", "/metrics"])(
    "on %s gets no CORS headers",
    async (path) => {
      const res = await preflight(path, "POST");
      expect(res.status).not.toBe(204);
      expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
      expect(res.headers.get("Access-Control-Allow-Methods")).toBeNull();
    },
  );
});

describe("an answer", () => {
  it("exposes the Link header of a paged list to the app", async () => {
    await seedNote();
    await seedNote();
    const res = await api("/v1/timelines/home?limit=1", { headers: { Origin: APP } });
    expect(res.status).toBe(200);
    expect(linksOf(res).next).toBeDefined();
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(listed(res, "Access-Control-Expose-Headers")).toEqual(
      expect.arrayContaining([
        "link",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
      ]),
    );
  });

  it.each([
    { what: "an error of the API", path: "/api/v1/timelines/home", method: "GET", status: 401 },
    { what: "an unknown API route", path: "/api/v1/no-such-route", method: "GET", status: 404 },
    { what: "a method the route lacks", path: "/api/v2/instance", method: "DELETE", status: 405 },
    { what: "a refused token request", path: "/oauth/token", method: "POST", status: 400 },
  ])("is readable from any origin, even $what", async ({ path, method, status }) => {
    const res = await request(path, { method, headers: { Origin: APP } });
    expect(res.status).toBe(status);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
  });

  it.each([
    "/api/v2/instance",
    "/.well-known/webfinger?resource=acct:owner@outpost.test",
    "/nodeinfo/2.1",
  ])("of %s is readable from any origin", async (path) => {
    const res = await request(path, { headers: { Origin: APP } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
  });

  it("of the consent page carries no CORS headers", async () => {
    const res = await request("/oauth/authorize?response_type=code", { headers: { Origin: APP } });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(res.headers.get("Access-Control-Expose-Headers")).toBeNull();
  });

  it("of an ActivityPub document carries no CORS headers", async () => {
    const res = await request("/users/owner", {
      headers: { Origin: APP, Accept: "application/activity+json" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});
