/**
 * `POST /api/v2/media` (and v1), `GET` and `PUT /api/v1/media/:id`, through the Worker,
 * against the real local R2 and D1: each format taken from a small real sample, the type
 * read from the bytes, metadata gone from what R2 holds, sizes and blurhashes in the entity,
 * refusals with their reasons, scopes.
 */
import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_PARTS } from "../src/media/kept";
import { MEDIA_LIMITS } from "../src/media/process";
import { FORMATS, type Format } from "../src/media/sniff";
import { media } from "../src/storage/schema";
import { type Attachment, samples, scans, text } from "./fixtures/media";
import * as crafted from "./fixtures/media/crafted";
import { api, db, ORIGIN, OWNER_TOKEN } from "./helpers";
import { registerApp, signIn } from "./support/oauth";

interface Upload {
  readonly bytes?: Uint8Array | string;
  /** The name and type the client declares (never believed). */
  readonly name?: string;
  readonly type?: string;
  readonly fields?: Record<string, string>;
  readonly token?: string;
  readonly version?: 1 | 2;
}

function upload(options: Upload): Promise<Response> {
  const form = new FormData();
  if (options.bytes !== undefined) {
    const blob = new Blob([options.bytes], { type: options.type ?? "application/octet-stream" });
    form.append("file", blob, options.name ?? "upload.bin");
  }
  for (const [name, value] of Object.entries(options.fields ?? {})) form.append(name, value);
  return exports.default.fetch(`${ORIGIN}/api/v${options.version ?? 2}/media`, {
    method: "POST",
    headers: { Authorization: `Bearer ${options.token ?? OWNER_TOKEN}` },
    body: form,
  });
}

async function uploaded(options: Upload): Promise<Attachment> {
  const res = await upload(options);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Attachment;
}

/** What the bucket holds for an entity's URL: its bytes and type. */
async function stored(attachment: Attachment) {
  const key = decodeURIComponent(new URL(attachment.url).pathname.slice("/media/".length));
  const object = await env.MEDIA.get(key);
  expect(object, key).not.toBeNull();
  return {
    key,
    type: object?.httpMetadata?.contentType,
    bytes: new Uint8Array((await object?.arrayBuffer()) ?? new ArrayBuffer(0)),
  };
}

const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

let readToken: string;
let mediaToken: string;

beforeAll(async () => {
  const app = await registerApp({ scopes: "read write" });
  readToken = await signIn(app, { scope: "read", address: "10.21.0.1" });
  mediaToken = await signIn(app, { scope: "write:media", address: "10.21.0.2" });
});

describe("uploading media", () => {
  it.each(Object.keys(FORMATS) as Format[])(
    "takes %s from a small real file, whatever the client declares, and stores it by what it is",
    async (format) => {
      const { kind, mediaType } = FORMATS[format];
      const attachment = await uploaded({ bytes: samples[format](), name: "x.bin" });
      expect(attachment.type).toBe(kind);
      expect(attachment.id).toMatch(/^\d+$/);
      expect(attachment.url).toMatch(
        /^https:\/\/outpost\.test\/media\/attachments\/[0-9a-f]{32}\./,
      );
      expect(attachment.preview_url).toBe(kind === "audio" ? null : attachment.url);
      const object = await stored(attachment);
      expect(object.type).toBe(mediaType);
      expect(object.key.endsWith(`.${FORMATS[format].extension}`)).toBe(true);
      if (kind !== "audio") {
        expect(attachment.meta?.original?.width, "width").toBeGreaterThan(0);
        expect(attachment.meta?.original?.height, "height").toBeGreaterThan(0);
      }
    },
  );

  it("strips a JPEG's GPS, Exif and XMP before storing it, keeps its orientation, and leaves the picture's bytes as they were", async () => {
    const original = samples.jpeg();
    expect(text(original)).toContain("Exif\0\0");
    const attachment = await uploaded({ bytes: original, name: "photo.jpg", type: "image/jpeg" });
    const { bytes } = await stored(attachment);
    // The GPS IFD pointer (tag 0x8825, big-endian as the sample's TIFF is) and every trace.
    expect(text(original)).toContain("\x88\x25\x00\x04");
    expect(text(bytes)).not.toContain("\x88\x25");
    for (const secret of ["Jane Doe", "secret comment", "TestCam", "Phone", "adobe:ns:meta"]) {
      expect(text(bytes), secret).not.toContain(secret);
    }
    expect(scans(bytes)).toEqual(scans(original));
    // Orientation 6 kept alone in a minimal Exif block, and the size given as shown.
    expect(text(bytes)).toContain("Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06");
    expect(attachment.meta?.original).toEqual({
      width: 48,
      height: 64,
      size: "48x64",
      aspect: 0.75,
    });
    expect(attachment.blurhash).toMatch(/^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{36}$/);
  });

  it("strips the other formats' metadata as R2 holds them", async () => {
    const secrets: [Format, string[]][] = [
      ["png", ["hidden", "Jane", "tEXt", "iTXt", "eXIf"]],
      ["webp", ["EXIF", "XMP ", "Jane"]],
      ["gif", ["gif comment"]],
      ["mp4", ["secret", "udta", "loci"]],
      ["webm", ["secret"]],
      ["mp3", ["Jane Doe", "ID3"]],
    ];
    for (const [format, words] of secrets) {
      const original = text(samples[format]());
      const { bytes } = await stored(await uploaded({ bytes: samples[format]() }));
      for (const word of words) {
        expect(original, `${format} sample holds ${word}`).toContain(word);
        expect(text(bytes), `${format} stored without ${word}`).not.toContain(word);
      }
    }
  });

  it("describes pictures and videos like Mastodon: sizes, and a blurhash where one is cheap", async () => {
    const png = await uploaded({ bytes: samples.png() });
    expect(png.meta?.original).toEqual({ width: 40, height: 30, size: "40x30", aspect: 40 / 30 });
    expect(png.blurhash).toHaveLength(36);
    expect((await uploaded({ bytes: samples.gif() })).blurhash).toHaveLength(36);
    const mp4 = await uploaded({ bytes: samples.mp4() });
    expect(mp4.meta?.original).toMatchObject({ width: 64, height: 48 });
    expect(mp4.blurhash).toBeNull();
    const mp3 = await uploaded({ bytes: samples.mp3() });
    expect(mp3.meta).toBeNull();
  });

  it("refuses a file that is not what it claims: HTML named photo.jpg is no JPEG (422, nothing stored)", async () => {
    const before = (await env.MEDIA.list()).objects.length;
    const res = await upload({
      bytes: "<!doctype html><script>alert(1)</script>",
      name: "photo.jpg",
      type: "image/jpeg",
    });
    expect(res.status).toBe(422);
    expect(await errorOf(res)).toMatch(/not an image, video or audio type this server takes/);
    expect((await env.MEDIA.list()).objects.length).toBe(before);
  });

  it("stores a PNG declared as video/mp4 as the PNG it is", async () => {
    const attachment = await uploaded({
      bytes: samples.png(),
      name: "clip.mp4",
      type: "video/mp4",
    });
    expect(attachment.type).toBe("image");
    expect(attachment.url).toMatch(/\.png$/);
    expect((await stored(attachment)).type).toBe("image/png");
  });

  it("refuses types it does not take by their bytes: QuickTime, HEIC, Matroska, M4A, BMP (422)", async () => {
    const iso = (brand: string) => crafted.bytesOf(`\0\0\0\x18ftyp${brand}\0\0\0\0${brand}mp42`);
    const ebml = crafted.bytesOf([0x1a, 0x45, 0xdf, 0xa3, 0x88, 0x42, 0x82, 0x88], "matroska");
    const bmp = new TextEncoder().encode("BM\0\0\0\0");
    for (const bytes of [iso("qt  "), iso("heic"), iso("M4A "), ebml, bmp]) {
      const res = await upload({ bytes });
      expect(res.status).toBe(422);
    }
  });

  it("refuses a file cut short with the reason, never a 500", async () => {
    for (const format of ["jpeg", "png", "webp", "gif", "mp4"] as const) {
      const res = await upload({ bytes: samples[format]().subarray(0, 60) });
      expect(res.status, format).toBe(422);
      expect(await errorOf(res), format).toMatch(/could not be read as/);
    }
  });

  it("refuses an image over 16 MB with 413, by its real type", async () => {
    const big = new Uint8Array(MEDIA_LIMITS.image + 1);
    big.set(samples.png());
    const res = await upload({ bytes: big, name: "small.mp4", type: "video/mp4" });
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toMatch(/larger than 16 MB/);
  });

  it("refuses a file over 16 MB sent without Content-Length (411) as it streams in", async () => {
    const boundary = "----outpost-test";
    const head = new TextEncoder().encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n\r\n`,
    );
    const chunk = new Uint8Array(1024 * 1024);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(head);
        if (sent > 200) return controller.close(); // never reached: the reading stops at 16
        controller.enqueue(chunk);
        sent += 1;
      },
    });
    const res = await exports.default.fetch(`${ORIGIN}/api/v2/media`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${OWNER_TOKEN}`,
        "Content-Type": `multipart/form-data; boundary=${boundary}`,
      },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(411);
    expect(await errorOf(res)).toMatch(/needs the request's Content-Length/);
    expect(sent).toBeLessThan(20);
  });

  it("answers crafted files promptly: LZW that loops (200), too many parts (422)", async () => {
    for (const bytes of crafted.loopingGifs()) {
      expect((await uploaded({ bytes })).blurhash).toHaveLength(36);
    }
    for (const [format, build] of Object.entries(crafted.manyParts)) {
      const res = await upload({ bytes: build(MAX_PARTS + 1) });
      expect(res.status, format).toBe(422);
      expect(await errorOf(res), format).toMatch(`more than ${MAX_PARTS}`);
    }
  });

  it("keeps only what draws a PNG or a GIF: private, C2PA and IPTC blocks are gone", async () => {
    const secret = (type: string) => crafted.pngChunk(type, "Jane Doe");
    const png = crafted.pngSampleWith(secret("prVt"), secret("caBX"));
    const storedPng = (await stored(await uploaded({ bytes: png }))).bytes;
    expect(text(storedPng)).not.toMatch(/prVt|caBX|Jane/);
    expect(crafted.pngChunkData(storedPng, "IDAT")).toBe(crafted.pngChunkData(png, "IDAT"));
    const iptc = crafted.gifApplication("MGKIPTC0000", "Jane Doe");
    const attachment = await uploaded({ bytes: crafted.gifSampleWith(iptc) });
    expect(text((await stored(attachment)).bytes)).not.toMatch(/MGKIPTC|Jane/);
    expect(attachment.blurhash).toHaveLength(36);
  });

  it("answers v1 like v2, with 200 (processing is never left for later)", async () => {
    const attachment = await uploaded({ bytes: samples.gif(), version: 1 });
    expect(attachment.type).toBe("image");
  });

  it("takes alt text and a focal point with the file, and refuses bad ones with 422", async () => {
    const attachment = await uploaded({
      bytes: samples.png(),
      fields: { description: "A sunset", focus: "0.5,-0.25" },
    });
    expect(attachment.description).toBe("A sunset");
    expect(attachment.meta?.focus).toEqual({ x: 0.5, y: -0.25 });
    const bad: Record<string, string>[] = [
      { focus: "2,0" },
      { focus: "left" },
      { focus: "0.1" },
      { description: "x".repeat(1501) },
    ];
    for (const fields of bad) {
      const res = await upload({ bytes: samples.png(), fields });
      expect(res.status, JSON.stringify(fields).slice(0, 40)).toBe(422);
      expect(await errorOf(res)).toMatch(/^Validation failed: (focus|description)/);
    }
    // 1,500 characters are allowed, counted as characters (not UTF-16 units).
    const long = await uploaded({
      bytes: samples.png(),
      fields: { description: "🌅".repeat(1500) },
    });
    expect([...(long.description ?? "")]).toHaveLength(1500);
  });

  it("refuses an upload without a file (422, as Mastodon: File can't be blank), a JSON body included", async () => {
    const none = await upload({ fields: { description: "no file" } });
    expect(none.status).toBe(422);
    expect(await errorOf(none)).toBe("Validation failed: File can't be blank");
    const json = await api("/v2/media", { body: { description: "x" } });
    expect(json.status).toBe(422);
    const broken = await exports.default.fetch(`${ORIGIN}/api/v2/media`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${OWNER_TOKEN}`,
        "Content-Type": "multipart/form-data; boundary=b",
      },
      body: '--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
    });
    expect(broken.status).toBe(400);
  });
});

describe("an upload before a post takes it", () => {
  it("is read (GET) and described (PUT, JSON or form) until a post takes it; then it is not found", async () => {
    const attachment = await uploaded({ bytes: samples.jpeg() });
    const got = await api(`/v1/media/${attachment.id}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(attachment);

    const put = await api(`/v1/media/${attachment.id}`, {
      method: "PUT",
      body: { description: "A cat", focus: "-1,1" },
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({
      description: "A cat",
      meta: { focus: { x: -1, y: 1 } },
    });
    const form = await exports.default.fetch(`${ORIGIN}/api/v1/media/${attachment.id}`, {
      method: "PUT",
      headers: {
        Authorization: `Bearer ${OWNER_TOKEN}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: "description=A+dog",
    });
    expect(await form.json()).toMatchObject({
      description: "A dog",
      meta: { focus: { x: -1, y: 1 } },
    });
    const bad = await api(`/v1/media/${attachment.id}`, { method: "PUT", body: { focus: "1,2" } });
    expect(bad.status).toBe(422);
    expect(await (await api(`/v1/media/${attachment.id}`)).json()).toMatchObject({
      description: "A dog",
    });

    const [row] = await db()
      .select()
      .from(media)
      .where(eq(media.key, (await stored(attachment)).key));
    await db()
      .update(media)
      .set({ note: "https://outpost.test/notes/1", position: 0 })
      .where(eq(media.seq, row?.seq ?? 0));
    expect((await api(`/v1/media/${attachment.id}`)).status).toBe(404);
    expect(
      (await api(`/v1/media/${attachment.id}`, { method: "PUT", body: { description: "x" } }))
        .status,
    ).toBe(404);
  });

  it("answers 404 Record not found for an unknown id, a malformed one, and an avatar's", async () => {
    for (const id of ["1", "999999999999999999", "abc"]) {
      const res = await api(`/v1/media/${id}`);
      expect(res.status, id).toBe(404);
      expect(await errorOf(res)).toBe("Record not found");
    }
    const attachment = await uploaded({ bytes: samples.png() });
    const key = (await stored(attachment)).key;
    await db().update(media).set({ purpose: "avatar" }).where(eq(media.key, key));
    expect((await api(`/v1/media/${attachment.id}`)).status).toBe(404);
  });
});

describe("scopes", () => {
  it("needs write:media (or write) to upload, read and describe, as Mastodon: a read token gets 403", async () => {
    const mine = await uploaded({ bytes: samples.png(), token: mediaToken });
    expect((await api(`/v1/media/${mine.id}`, { token: mediaToken })).status).toBe(200);
    const refused = [
      await upload({ bytes: samples.png(), token: readToken }),
      await api(`/v1/media/${mine.id}`, { token: readToken }),
      await api(`/v1/media/${mine.id}`, {
        method: "PUT",
        token: readToken,
        body: { description: "x" },
      }),
    ];
    for (const res of refused) {
      expect(res.status).toBe(403);
      expect(await errorOf(res)).toBe("This action is outside the authorized scopes");
    }
    expect((await upload({ bytes: samples.png(), token: undefined })).status).toBe(200);
  });
});

describe("the limits announced", () => {
  it("are the ones enforced: /api/v2/instance's sizes and types match what the upload takes", async () => {
    const instance = (await (await api("/v2/instance", { token: null })).json()) as {
      configuration: {
        media_attachments: {
          supported_mime_types: string[];
          image_size_limit: number;
          video_size_limit: number;
          image_matrix_limit: number;
          video_matrix_limit: number;
        };
      };
    };
    const limits = instance.configuration.media_attachments;
    expect(limits.image_size_limit).toBe(MEDIA_LIMITS.image);
    expect(limits.video_size_limit).toBe(MEDIA_LIMITS.video);
    expect(limits.image_matrix_limit).toBe(MEDIA_LIMITS.imageMatrix);
    expect(limits.video_matrix_limit).toBe(MEDIA_LIMITS.videoMatrix);
    const taken = Object.values(FORMATS).map((f) => f.mediaType);
    // audio/mp3 is another name apps use for audio/mpeg.
    expect(new Set(limits.supported_mime_types.filter((t) => t !== "audio/mp3"))).toEqual(
      new Set(taken),
    );
  });
});
