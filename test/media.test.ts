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

/** A file of `size` bytes, each its index mod 251 (so that any part is recognisable). */
const bytes = (size: number) => Uint8Array.from({ length: size }, (_, i) => i % 251);
const VIDEO = bytes(1000);
await env.MEDIA.put("attachments/clip.mp4", VIDEO, { httpMetadata: { contentType: "video/mp4" } });

const ranged = (range: string, headers: Record<string, string> = {}) =>
  request("/media/attachments/clip.mp4", { headers: { Range: range, ...headers } });

async function part(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

describe("media, in parts (Range)", () => {
  it("serves one range as 206 with its Content-Range and length", async () => {
    const cases: [string, number, number][] = [
      ["bytes=0-99", 0, 100],
      ["bytes=990-", 990, 10],
      ["bytes=-10", 990, 10],
      ["bytes=995-2000", 995, 5],
      ["bytes=-5000", 0, 1000],
      ["bytes=0-", 0, 1000],
      ["bytes=999-999", 999, 1],
      ["BYTES = 10-19 ,", 10, 10],
    ];
    for (const [range, offset, length] of cases) {
      const res = await ranged(range);
      expect(res.status, range).toBe(206);
      expect(res.headers.get("Content-Range"), range).toBe(
        `bytes ${offset}-${offset + length - 1}/1000`,
      );
      expect(res.headers.get("Content-Length"), range).toBe(String(length));
      expect(res.headers.get("Accept-Ranges")).toBe("bytes");
      expect(res.headers.get("Content-Type")).toBe("video/mp4");
      expect(await part(res), range).toEqual(VIDEO.slice(offset, offset + length));
    }
  });

  it("answers 416 with the size when no byte of the range is in the file", async () => {
    for (const range of ["bytes=1000-", "bytes=5000-6000", "bytes=-0"]) {
      const res = await ranged(range);
      expect(res.status, range).toBe(416);
      expect(res.headers.get("Content-Range")).toBe("bytes */1000");
      expect(res.headers.get("Accept-Ranges")).toBe("bytes");
      await res.arrayBuffer();
    }
  });

  it("sends the whole file for several ranges, a malformed or an invalid one", async () => {
    for (const range of ["bytes=0-9,20-29", "bytes=abc", "items=0-9", "bytes=20-10", "bytes=-"]) {
      const res = await ranged(range);
      expect(res.status, range).toBe(200);
      expect(res.headers.get("Content-Range")).toBeNull();
      expect(res.headers.get("Content-Length")).toBe("1000");
      expect(await part(res)).toEqual(VIDEO);
    }
  });

  it("honours If-Range: the part when it names the file as it is, else the whole file", async () => {
    const whole = await request("/media/attachments/clip.mp4");
    const etag = whole.headers.get("ETag") ?? "";
    const modified = whole.headers.get("Last-Modified") ?? "";
    await whole.arrayBuffer();
    expect((await ranged("bytes=0-9", { "If-Range": etag })).status).toBe(206);
    expect((await ranged("bytes=0-9", { "If-Range": modified })).status).toBe(206);
    for (const stale of ['"older"', `W/${etag}`, "Thu, 01 Jan 2015 00:00:00 GMT"]) {
      const res = await ranged("bytes=0-9", { "If-Range": stale });
      expect(res.status, stale).toBe(200);
      expect(await part(res)).toEqual(VIDEO);
    }
  });

  it("decides the conditions before the range; a HEAD ignores the range", async () => {
    const etag = (await request("/media/attachments/clip.mp4", { method: "HEAD" })).headers.get(
      "ETag",
    );
    expect((await ranged("bytes=0-9", { "If-None-Match": etag ?? "" })).status).toBe(304);
    expect((await ranged("bytes=0-9", { "If-Match": '"other"' })).status).toBe(412);
    const head = await request("/media/attachments/clip.mp4", {
      method: "HEAD",
      headers: { Range: "bytes=0-9" },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get("Content-Length")).toBe("1000");
    expect(head.headers.get("Accept-Ranges")).toBe("bytes");
  });
});

describe("media headers", () => {
  it("are cached as immutable, never sniffed, and shown in place only when a picture or a recording", async () => {
    const put = (key: string, contentType?: string) =>
      env.MEDIA.put(
        key,
        bytes(10),
        contentType === undefined ? {} : { httpMetadata: { contentType } },
      );
    await put("attachments/a.png", "image/png");
    await put("attachments/b.webm", "video/webm");
    await put("attachments/c.mp3", "audio/mpeg");
    await put("attachments/d.html", "text/html");
    await put("attachments/e.svg", "image/svg+xml");
    await put("attachments/f");
    const disposition: Record<string, string> = {
      "a.png": "inline",
      "b.webm": "inline",
      "c.mp3": "inline",
      "d.html": "attachment",
      "e.svg": "attachment",
      f: "attachment",
    };
    for (const [name, expected] of Object.entries(disposition)) {
      const res = await get(`/media/attachments/${name}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Disposition"), name).toBe(expected);
      expect(res.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("Accept-Ranges")).toBe("bytes");
      expect(res.headers.get("ETag")).toMatch(/^"[^"]+"$/);
      await res.arrayBuffer();
    }
    expect((await get("/media/attachments/f")).headers.get("Content-Type")).toBe(
      "application/octet-stream",
    );
    expect((await get("/media/nothing.png")).headers.get("Accept-Ranges")).toBe("bytes");
  });
});
