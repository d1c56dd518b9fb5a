import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { get, request } from "./helpers";

describe("media", () => {
  it("serves files from the bucket with their type, an ETag and a sandbox", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    await env.MEDIA.put("avatars/me.png", png, { httpMetadata: { contentType: "image/png" } });
    const res = await get("/media/avatars/me.png");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("image/png");
    expect(res.headers.get("Content-Security-Policy")).toContain("sandbox");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(png);

    const etag = res.headers.get("ETag");
    expect(etag).toBeTruthy();
    const again = await request("/media/avatars/me.png", {
      headers: { "If-None-Match": etag ?? "" },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });

  it("answers malformed conditions as RFC 9110 says (a bad tag matches nothing, a bad date is ignored), not with R2's 500", async () => {
    await env.MEDIA.put("avatars/cond.png", new Uint8Array([1, 2, 3]));
    const etag = (await get("/media/avatars/cond.png")).headers.get("ETag") ?? "";
    const status = async (headers: Record<string, string>) =>
      (await request("/media/avatars/cond.png", { headers })).status;
    expect(await status({ "If-Match": "=" })).toBe(412);
    expect(await status({ "If-None-Match": "x" })).toBe(200);
    expect(await status({ "If-Unmodified-Since": "junk" })).toBe(200);
    expect(await status({ "If-Match": '"other"' })).toBe(412);
    expect(await status({ "If-Match": etag })).toBe(200);
    expect(await status({ "If-None-Match": `"other", ${etag}` })).toBe(304);
    expect((await request("/media/nothing.png", { headers: { "If-Match": "x" } })).status).toBe(
      404,
    );
  });

  it("answers 404 with a JSON error for a missing file", async () => {
    const res = await get("/media/nothing.png");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "no such file" });
  });
});
