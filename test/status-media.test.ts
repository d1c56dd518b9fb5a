/**
 * Posts with media (issue 16): the owner's uploads attached by `media_ids` (up to four, or
 * alone), refused as Mastodon refuses them, replaced and described by an edit; the `Note`
 * followers receive carries them as Mastodon federates them (remote notes' files:
 * `status-media-remote.test.ts`). Uploads are made here as the upload endpoint stores them:
 * an object in the real local R2 bucket, then its row.
 */
import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { mediaId } from "../src/mastodon/ids";
import { insertMedia } from "../src/storage/media";
import { type MediaKind, type MediaPurpose, media } from "../src/storage/schema";
import { api, db, get, ORIGIN, OWNER_TOKEN } from "./helpers";
import { got, ownerFollowers } from "./support/publish";
import { eventually } from "./support/remote";

interface Upload {
  readonly id: string;
  readonly key: string;
  readonly url: string;
  readonly bytes: Uint8Array;
}

let uploads = 0;

/** An upload of the owner's, stored as `POST /api/v2/media` stores one. */
async function upload(
  options: {
    purpose?: MediaPurpose;
    kind?: MediaKind;
    mediaType?: string;
    description?: string;
    focus?: [number, number];
  } = {},
): Promise<Upload> {
  const n = ++uploads;
  const mediaType = options.mediaType ?? "image/png";
  const key = `${options.purpose ?? "attachment"}s/test-${n}.${mediaType.split("/")[1]}`;
  const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, n, n + 1, n + 2]);
  await env.MEDIA.put(key, bytes, { httpMetadata: { contentType: mediaType } });
  const row = await insertMedia(db(), {
    key,
    purpose: options.purpose ?? "attachment",
    kind: options.kind ?? "image",
    mediaType,
    size: bytes.length,
    width: 640,
    height: 480,
    blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    description: options.description ?? null,
    focusX: options.focus?.[0] ?? null,
    focusY: options.focus?.[1] ?? null,
    createdAt: new Date(),
  });
  return { id: mediaId(row), key, url: `${ORIGIN}/media/${key}`, bytes };
}

interface Status {
  id: string;
  uri: string;
  content: string;
  sensitive: boolean;
  spoiler_text: string;
  media_attachments: Record<string, unknown>[];
}

async function post(body: Record<string, unknown>): Promise<Status> {
  const res = await api("/v1/statuses", { body });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Status;
}

async function refused(body: Record<string, unknown>, path = "/v1/statuses", method = "POST") {
  const res = await api(path, { body, method });
  expect(res.status).toBe(422);
  return ((await res.json()) as { error: string }).error;
}

/** The note a file is attached to, and whether it shows there (an edit may set it aside). */
const attachedTo = async (upload: Upload) => {
  const [row] = await db().select().from(media).where(eq(media.key, upload.key));
  return row?.note === null || row === undefined
    ? null
    : { note: row.note, shown: row.position !== null };
};

await ownerFollowers({ shared: "media-a.test", own: "media-b.test" });
const SHARED = "https://media-a.test/inbox";

/** The `Note` of the first activity of `type` about the status the shared inbox received. */
async function delivered(type: string, uri: string): Promise<Record<string, unknown>> {
  const [activity] = await eventually(async () => {
    const found = await got(SHARED, type, uri);
    return found.length > 0 ? found : undefined;
  });
  return activity?.object as Record<string, unknown>;
}

describe("posting media", { timeout: 20_000 }, () => {
  it("attaches an upload: the status shows it by its media id, the Note carries it as Mastodon's Document", async () => {
    const picture = await upload({ description: "A heron on one leg", focus: [0.25, -0.5] });
    const status = await post({ status: "Look", media_ids: [picture.id] });
    expect(status.media_attachments).toEqual([
      {
        id: picture.id,
        type: "image",
        url: picture.url,
        preview_url: picture.url,
        remote_url: null,
        preview_remote_url: null,
        text_url: null,
        meta: {
          original: { width: 640, height: 480, size: "640x480", aspect: 640 / 480 },
          small: { width: 640, height: 480, size: "640x480", aspect: 640 / 480 },
          focus: { x: 0.25, y: -0.5 },
        },
        description: "A heron on one leg",
        blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
      },
    ]);
    expect(await attachedTo(picture)).toEqual({ note: status.uri, shown: true });

    const note = await delivered("Create", status.uri);
    expect(note.attachment).toEqual([
      {
        type: "Document",
        mediaType: "image/png",
        url: picture.url,
        name: "A heron on one leg",
        blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
        focalPoint: [0.25, -0.5],
        width: 640,
        height: 480,
      },
    ]);
    // The note as served carries the same; the file is there at its URL.
    const served = (await (await get(status.uri, "application/activity+json")).json()) as {
      attachment: unknown;
    };
    expect(served.attachment).toEqual(note.attachment);
    const file = await get(`/media/${picture.key}`);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(picture.bytes);
  });

  it("keeps four files in the order named; a file without alt text federates `name: null`", async () => {
    const files = [await upload(), await upload(), await upload(), await upload()];
    const order = [files[2], files[0], files[3], files[1]].map((f) => f?.id ?? "");
    const status = await post({ status: "four", media_ids: order });
    expect(status.media_attachments.map((a) => a.id)).toEqual(order);
    const note = await delivered("Create", status.uri);
    const attachments = note.attachment as Record<string, unknown>[];
    expect(attachments.map((a) => a.url)).toEqual(
      order.map((id) => files.find((f) => f.id === id)?.url),
    );
    expect(attachments[0]).toMatchObject({ name: null });
    expect(attachments[0]).not.toHaveProperty("focalPoint");
    const rows = await db().select().from(media).where(eq(media.note, status.uri));
    expect(
      rows.sort((a, b) => (a.position ?? 0) - (b.position ?? 0)).map((r) => mediaId(r)),
    ).toEqual(order);
  });

  it("posts media alone, with no text, as Mastodon does; a form's `media_ids[]` too", async () => {
    const picture = await upload({ description: "only a picture" });
    const status = await post({ media_ids: [picture.id] });
    expect(status.content).toBe("");
    expect(status.media_attachments).toHaveLength(1);
    const note = await delivered("Create", status.uri);
    expect(note.content).toBe("");

    const second = await upload();
    const form = await exports.default.fetch(`${ORIGIN}/api/v1/statuses`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${OWNER_TOKEN}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: `status=&media_ids[]=${second.id}`,
    });
    expect(form.status).toBe(200);
    expect(((await form.json()) as Status).media_attachments[0]?.id).toBe(second.id);
  });

  it("marks a post with a content warning sensitive, whatever the flag says", async () => {
    const picture = await upload();
    const status = await post({
      status: "spoilers",
      spoiler_text: "the ending",
      sensitive: false,
      media_ids: [picture.id],
    });
    expect(status).toMatchObject({ sensitive: true, spoiler_text: "the ending" });
    const plain = await post({ status: "just sensitive", sensitive: true });
    expect(plain).toMatchObject({ sensitive: true, spoiler_text: "" });
  });

  it("refuses, each with its reason (422), and attaches nothing", async () => {
    const free = await upload();
    const taken = await upload();
    const elsewhere = await post({ status: "mine", media_ids: [taken.id] });
    const avatar = await upload({ purpose: "avatar" });
    const video = await upload({ kind: "video", mediaType: "video/mp4" });
    const many = await Promise.all(Array.from({ length: 5 }, () => upload()));

    expect(await refused({ status: "x", media_ids: ["123456789"] })).toBe(
      "Media 123456789 not found",
    );
    expect(await refused({ status: "x", media_ids: ["nope"] })).toBe("Media nope not found");
    expect(await refused({ status: "x", media_ids: many.map((m) => m.id) })).toBe(
      "Cannot attach more than 4 files",
    );
    expect(await refused({ status: "x", media_ids: [free.id, taken.id] })).toBe(
      `Media ${taken.id} is already attached to another post`,
    );
    expect(await refused({ status: "x", media_ids: [avatar.id] })).toBe(
      `Media ${avatar.id} is the profile's avatar, not an attachment`,
    );
    expect(await refused({ status: "x", media_ids: [free.id, video.id] })).toBe(
      "Cannot attach a video to a post that already contains images",
    );
    expect(await refused({ media_ids: [] })).toBe("Validation failed: status is required");
    expect(await refused({ status: " ", media_ids: [] })).toBe(
      "Validation failed: status can't be blank",
    );
    expect(await refused({ status: "x", media_ids: { a: 1 } })).toMatch(
      /^Validation failed: media_ids/,
    );
    for (const file of [free, avatar, video, ...many]) expect(await attachedTo(file)).toBeNull();
    expect(await attachedTo(taken)).toEqual({ note: elsewhere.uri, shown: true });
  });
});

describe("deleting and redrafting", { timeout: 20_000 }, () => {
  it("lets a redraft post the deleted post's files again, as Mastodon's delete-and-redraft does", async () => {
    const picture = await upload();
    const first = await post({ status: "typo", media_ids: [picture.id] });
    const deleted = await api(`/v1/statuses/${first.id}`, { method: "DELETE" });
    expect(deleted.status).toBe(200);
    // The deleted status answers its files, for the app to post them again.
    const answered = (await deleted.json()) as Status;
    expect(answered.media_attachments.map((m) => m.id)).toEqual([picture.id]);
    const redraft = await post({ status: "fixed", media_ids: [picture.id] });
    expect(redraft.media_attachments.map((m) => m.id)).toEqual([picture.id]);
    expect(await attachedTo(picture)).toEqual({ note: redraft.uri, shown: true });
    // A live post's file is still another's.
    expect(await refused({ status: "again", media_ids: [picture.id] })).toBe(
      `Media ${picture.id} is already attached to another post`,
    );
  });
});

describe("editing media", { timeout: 20_000 }, () => {
  it("replaces the files in the order named and changes alt text; the Update carries them; history keeps both", async () => {
    const [a, b, c] = [await upload({ description: "first" }), await upload(), await upload()];
    const status = await post({ status: "album", media_ids: [a.id, b.id] });
    const res = await api(`/v1/statuses/${status.id}`, {
      method: "PUT",
      body: {
        status: "album, sorted",
        media_ids: [c.id, a.id],
        media_attributes: [
          { id: a.id, description: "first, described again", focus: "0.5,0.5" },
          { id: b.id, description: "not attached any more: ignored" },
        ],
      },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const edited = (await res.json()) as Status;
    expect(edited.media_attachments.map((m) => [m.id, m.description])).toEqual([
      [c.id, null],
      [a.id, "first, described again"],
    ]);
    expect(edited.media_attachments[1]?.meta).toMatchObject({ focus: { x: 0.5, y: 0.5 } });
    // Set aside, not let go: the first version in the history still shows it.
    expect(await attachedTo(b)).toEqual({ note: status.uri, shown: false });
    expect(await attachedTo(c)).toEqual({ note: status.uri, shown: true });
    const [row] = await db().select().from(media).where(eq(media.key, b.key));
    expect(row?.description).toBeNull();

    const [update] = await eventually(async () => {
      const updates = await got(SHARED, "Update", status.uri);
      return updates.length > 0 ? updates : undefined;
    });
    const note = update?.object as { attachment: Record<string, unknown>[] };
    expect(note.attachment.map((x) => [x.url, x.name, x.focalPoint])).toEqual([
      [c.url, null, undefined],
      [a.url, "first, described again", [0.5, 0.5]],
    ]);

    const history = (await (await api(`/v1/statuses/${status.id}/history`)).json()) as {
      media_attachments: { id: string; description: string | null }[];
    }[];
    expect(history.map((v) => v.media_attachments.map((m) => m.id))).toEqual([
      [a.id, b.id],
      [c.id, a.id],
    ]);
    expect(history[0]?.media_attachments[0]?.description).toBe("first");
    const source = (await (await api(`/v1/statuses/${status.id}/source`)).json()) as {
      text: string;
    };
    expect(source.text).toBe("album, sorted");
  });

  it("keeps the files when `media_ids` is left out, drops them for an empty list, and refuses another post's", async () => {
    const [a, b] = [await upload(), await upload()];
    const status = await post({ status: "kept", media_ids: [a.id] });
    const other = await post({ status: "other", media_ids: [b.id] });
    const edit = (body: Record<string, unknown>) =>
      api(`/v1/statuses/${status.id}`, { method: "PUT", body });

    const kept = (await (await edit({ status: "kept, edited" })).json()) as Status;
    expect(kept.media_attachments.map((m) => m.id)).toEqual([a.id]);
    expect(
      await refused({ status: "x", media_ids: [b.id] }, `/v1/statuses/${status.id}`, "PUT"),
    ).toBe(`Media ${b.id} is already attached to another post`);
    expect(await refused({ media_ids: [] }, `/v1/statuses/${status.id}`, "PUT")).toBe(
      "Validation failed: status can't be blank",
    );
    const emptied = (await (await edit({ status: "no files", media_ids: [] })).json()) as Status;
    expect(emptied.media_attachments).toEqual([]);
    expect(await attachedTo(a)).toEqual({ note: status.uri, shown: false });
    expect(await attachedTo(b)).toEqual({ note: other.uri, shown: true });
    // Alt text for another post's file changes nothing; for its own post's, alone, it does.
    const describeB = (note: Status) =>
      api(`/v1/statuses/${note.id}`, {
        method: "PUT",
        body: { status: "same", media_attributes: [{ id: b.id, description: "now described" }] },
      });
    expect(((await (await describeB(status)).json()) as Status).media_attachments).toEqual([]);
    expect(
      (await db().select().from(media).where(eq(media.key, b.key)))[0]?.description,
    ).toBeNull();
    const described = (await (await describeB(other)).json()) as Status;
    expect(described.media_attachments.map((m) => [m.id, m.description])).toEqual([
      [b.id, "now described"],
    ]);
    expect(
      await refused(
        { status: "x", media_attributes: [{ id: b.id, focus: "2,0" }] },
        `/v1/statuses/${other.id}`,
        "PUT",
      ),
    ).toMatch(/^Validation failed: media_attributes.*focus/);
  });
});
