/**
 * The owner's archive (`/api/outpost/exports/archive`), laid out as Mastodon's takeout: the
 * actor linking to the archive's files, every post and boost in `outbox.json` (private ones
 * too, deleted ones not) with their files' URLs made paths in the archive, the likes and
 * bookmarks, and the files themselves, byte for byte what the bucket holds.
 */
import { env, exports } from "cloudflare:workers";
import { strFromU8, unzipSync } from "fflate";
import { beforeAll, describe, expect, it } from "vitest";
import { mediaId } from "../src/mastodon/ids";
import { insertMedia } from "../src/storage/media";
import { api, db, getJson, ORIGIN, OWNER, OWNER_TOKEN } from "./helpers";
import { registerApp, signIn } from "./support/oauth";
import { makePng } from "./support/png";

interface Status {
  readonly id: string;
  readonly uri: string;
}

type Json = Record<string, unknown>;

/** An upload of the owner's, stored as `POST /api/v2/media` stores one. */
async function upload(name: string, bytes: Uint8Array): Promise<string> {
  const key = `attachments/${name}.png`;
  await env.MEDIA.put(key, bytes, { httpMetadata: { contentType: "image/png" } });
  const row = await insertMedia(db(), {
    key,
    purpose: "attachment",
    kind: "image",
    mediaType: "image/png",
    size: bytes.length,
    width: 8,
    height: 8,
    createdAt: new Date(),
  });
  return mediaId(row);
}

async function post(body: Json): Promise<Status> {
  const res = await api("/v1/statuses", { body });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Status;
}

/** Bytes that do not compress: a file several R2 chunks long. */
function noise(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(bytes.subarray(i, i + 65_536));
  return bytes;
}

const json = (files: Record<string, Uint8Array>, name: string): Json => {
  const file = files[name];
  if (file === undefined) throw new Error(`${name} is not in the archive`);
  return JSON.parse(strFromU8(file)) as Json;
};

let files: Record<string, Uint8Array>;
let response: Response;
const picture = noise(300_000);
const avatar = makePng({ width: 4, height: 3 });
let pictured: Status;
let secret: Status;
let deleted: Status;
let lost: Status;

beforeAll(async () => {
  const form = new FormData();
  form.append("avatar", new File([await avatar], "me.png", { type: "image/png" }));
  const patched = await exports.default.fetch(`${ORIGIN}/api/v1/accounts/update_credentials`, {
    method: "PATCH",
    headers: { Authorization: `Bearer ${OWNER_TOKEN}` },
    body: form,
  });
  expect(patched.status).toBe(200);
  pictured = await post({ status: "a picture", media_ids: [await upload("archived", picture)] });
  secret = await post({ status: "for followers", visibility: "private" });
  deleted = await post({ status: "soon gone" });
  expect((await api(`/v1/statuses/${deleted.id}`, { method: "DELETE" })).status).toBe(200);
  // A file the bucket lost: named in the outbox, listed as missing.
  lost = await post({ status: "lost", media_ids: [await upload("lost", noise(10))] });
  await env.MEDIA.delete("attachments/lost.png");
  expect((await api(`/v1/statuses/${pictured.id}/reblog`, { method: "POST" })).status).toBe(200);
  expect((await api(`/v1/statuses/${pictured.id}/favourite`, { method: "POST" })).status).toBe(200);
  expect((await api(`/v1/statuses/${secret.id}/bookmark`, { method: "POST" })).status).toBe(200);
  response = await api("/outpost/exports/archive");
  expect(response.status).toBe(200);
  files = unzipSync(new Uint8Array(await response.arrayBuffer()));
});

describe("the archive", { timeout: 30_000 }, () => {
  it("is a zip download", () => {
    expect(response.headers.get("Content-Type")).toBe("application/zip");
    expect(response.headers.get("Content-Disposition")).toMatch(
      /^attachment; filename="archive-\d{14}\.zip"$/,
    );
    expect(Object.keys(files).sort()).toEqual([
      "actor.json",
      "avatar.png",
      "bookmarks.json",
      "likes.json",
      "media/attachments/archived.png",
      "missing_media.json",
      "outbox.json",
    ]);
  });

  it("holds the actor as served, linked to the archive's files", async () => {
    const served = await getJson(OWNER);
    const actor = json(files, "actor.json");
    expect(actor).toEqual({
      ...served,
      outbox: "outbox.json",
      likes: "likes.json",
      bookmarks: "bookmarks.json",
      icon: { ...(served.icon as Json), url: "avatar.png" },
    });
    const icon = await env.MEDIA.get(
      String((served.icon as Json).url).slice(`${ORIGIN}/media/`.length),
    );
    expect(files["avatar.png"]).toEqual(new Uint8Array((await icon?.arrayBuffer()) ?? []));
  });

  it("holds every post and boost, their files linked inside the archive", () => {
    const outbox = json(files, "outbox.json");
    expect(outbox).toMatchObject({ id: "outbox.json", type: "OrderedCollection" });
    expect(outbox["@context"]).toBeDefined();
    const items = outbox.orderedItems as Json[];
    expect(outbox.totalItems).toBe(items.length);
    const objectOf = (item: Json) =>
      typeof item.object === "string" ? item.object : (item.object as Json).id;
    const creates = items.filter((i) => i.type === "Create").map(objectOf);
    expect(creates).toEqual([pictured.uri, secret.uri, lost.uri]);
    expect(creates).not.toContain(deleted.uri);
    expect(items.filter((i) => i.type === "Announce").map(objectOf)).toEqual([pictured.uri]);
    for (const item of items) {
      expect(item["@context"]).toBeUndefined();
      expect(item.actor).toBe(OWNER);
    }
    const withPicture = items.find((i) => objectOf(i) === pictured.uri) as Json;
    const [attachment] = (withPicture.object as Json).attachment as Json[];
    expect(attachment).toMatchObject({
      mediaType: "image/png",
      url: "media/attachments/archived.png",
    });
    expect(files["media/attachments/archived.png"]).toEqual(picture);
    expect(JSON.parse(strFromU8(files["missing_media.json"] ?? new Uint8Array()))).toEqual([
      { path: "media/attachments/lost.png", reason: "not in the media bucket" },
    ]);
  });

  it("holds the likes and bookmarks as collections of notes", () => {
    expect(json(files, "likes.json")).toMatchObject({
      id: "likes.json",
      type: "OrderedCollection",
      totalItems: 1,
      orderedItems: [pictured.uri],
    });
    expect(json(files, "bookmarks.json")).toMatchObject({
      id: "bookmarks.json",
      totalItems: 1,
      orderedItems: [secret.uri],
    });
  });

  it("needs the read scope", async () => {
    const app = await registerApp({ client_name: "Archiver" });
    const statuses = await signIn(app, { scope: "read:statuses", address: "10.32.0.1" });
    expect((await api("/outpost/exports/archive", { token: statuses })).status).toBe(403);
    const read = await signIn(app, { scope: "read", address: "10.32.0.2" });
    const res = await api("/outpost/exports/archive", { token: read });
    expect(res.status).toBe(200);
    await res.body?.cancel();
  });
});
