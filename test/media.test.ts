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

  it("answers 404 with a JSON error for a missing file", async () => {
    const res = await get("/media/nothing.png");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "no such file" });
  });
});
