import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import { fetchWithVars, get, request } from "./helpers";

function fetchWith(vars: Partial<Record<keyof Env, string>>, url: string) {
  return fetchWithVars(vars, url);
}

describe("errors", () => {
  it("answers an unknown route with 404 and a JSON error", async () => {
    for (const path of ["/nope", "/users/owner/nope", "/.well-known/nope", "/api/v1/nope"]) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ error: "not found" });
    }
  });

  it("answers a wrong method with 405, the allowed methods and a JSON error", async () => {
    for (const [method, path] of [
      ["POST", "/.well-known/webfinger"],
      ["DELETE", "/users/owner"],
      ["PUT", "/users/owner/followers"],
      ["POST", "/nodeinfo/2.1"],
    ]) {
      const res = await request(path as string, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get("Allow")).toContain("GET");
      expect(await res.json()).toEqual({ error: expect.stringContaining(method as string) });
    }
  });

  describe("a misconfigured instance", () => {
    let logged: MockInstance<typeof console.error>;
    beforeEach(() => {
      logged = vi.spyOn(console, "error").mockImplementation(() => {});
    });
    afterEach(() => {
      // The operator learns why from the log, as the client does from the body.
      expect(logged).toHaveBeenCalled();
      vi.restoreAllMocks();
    });

    it("refuses to serve with a missing or malformed PUBLIC_ORIGIN (503, JSON)", async () => {
      for (const origin of [
        "",
        "not a url",
        "https://social.example/path",
        "ftp://social.example",
        "http://social.example",
      ]) {
        const res = await fetchWith(
          { PUBLIC_ORIGIN: origin },
          "https://social.example/users/owner",
        );
        expect(res.status, origin).toBe(503);
        const body = (await res.json()) as { error: string; details: string[] };
        expect(body.error).toBe("instance misconfigured");
        expect(body.details.join(" ")).toMatch(/PUBLIC_ORIGIN/);
      }
    });

    it("refuses the development default origin once deployed on a public host", async () => {
      const res = await fetchWith(
        { PUBLIC_ORIGIN: "http://localhost:8787" },
        "https://outpost.workers.dev/users/owner",
      );
      expect(res.status).toBe(503);
      const ok = await fetchWith(
        { PUBLIC_ORIGIN: "http://localhost:8787" },
        "http://127.0.0.1:8787/users/owner",
      );
      expect(ok.status).toBe(200);
    });

    it("refuses DEV_FEDERATION on a public origin", async () => {
      const res = await fetchWith(
        { PUBLIC_ORIGIN: "https://social.example", DEV_FEDERATION: "true" },
        "https://social.example/users/owner",
      );
      expect(res.status).toBe(503);
      expect(JSON.stringify(await res.json())).toMatch(/DEV_FEDERATION/);
    });

    it("refuses an invalid owner username", async () => {
      const res = await fetchWith(
        { OWNER_USERNAME: "no spaces" },
        "https://outpost.test/users/owner",
      );
      expect(res.status).toBe(503);
    });
  });
});
