/**
 * What apps load at start-up and break on when it is a 404: answered as Mastodon answers a
 * server that has none (empty lists; no Web Push subscription is Mastodon's 404).
 */
import { describe, expect, it } from "vitest";
import { api, request } from "./helpers";
import { signIn, tokensToRefuse } from "./support/oauth";

describe("start-up endpoints of a server with none", () => {
  it.each([
    "/v1/announcements",
    "/v1/suggestions",
    "/v2/suggestions",
    "/v1/followed_tags",
    "/v1/featured_tags",
  ])("%s is an empty list for the owner", async (path) => {
    const res = await api(path);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([]);
  });

  it.each(["/v1/trends", "/v1/trends/tags", "/v1/trends/statuses", "/v1/trends/links"])(
    "%s is public and empty",
    async (path) => {
      const res = await request(`/api${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual([]);
    },
  );

  it("has no Web Push subscription: 404, as Mastodon answers when there is none", async () => {
    const { app } = await tokensToRefuse("10.9.7");
    const push = await signIn(app, { scope: "push", address: "10.9.7.9" });
    const res = await api("/v1/push/subscription", { token: push });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "Record not found" });
  });
});
