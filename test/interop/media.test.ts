/**
 * Media between Outpost under `wrangler dev` and a real Fedify peer, through masto.js (issue
 * 16's acceptance test): the app uploads a picture with alt text and posts it; the peer, a
 * follower, receives the `Note` with its attachment and fetches the picture from Outpost's
 * bucket, byte for byte; a peer's post with a picture shows in the owner's home timeline
 * with its attachment.
 */
import { createRestAPIClient, type mastodon } from "masto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, followOwner } from "./outpost";
import { Peer } from "./peer";

const instance = globalThis.outpostUnderTest;
if (instance === undefined) throw new Error("test/interop/setup.ts starts the instance");
const { origin, token } = instance;

/** A real PNG, 3 × 2 red pixels, with nothing for the upload to strip. */
const PICTURE = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAIAAAASFvFNAAAAEElEQVR4nGM4IScHQQxwFgBBAAYZPEVBlgAAAABJRU5ErkJggg==",
  "base64",
);

/** A property compacted by JSON-LD: one value alone, several in a list. */
const many = (value: unknown): Record<string, unknown>[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value]) as Record<string, unknown>[];

describe("media with a Fedify peer, through masto.js", () => {
  let peer: Peer;
  let masto: mastodon.rest.Client;

  beforeAll(async () => {
    peer = await Peer.start({ actors: [{ username: "fern", displayName: "Fern" }] });
    await followOwner(peer, "fern");
    masto = createRestAPIClient({ url: origin, accessToken: token });
  });
  afterAll(() => peer.close());

  it("uploads a picture with alt text and posts it; the peer gets the Note's attachment and the picture", async () => {
    const uploaded = await masto.v2.media.create({
      file: new Blob([PICTURE], { type: "image/png" }),
      description: "A small red rectangle",
    });
    expect(uploaded).toMatchObject({
      type: "image",
      description: "A small red rectangle",
      meta: { original: { width: 3, height: 2 } },
    });
    const url = uploaded.url ?? "";
    expect(url.startsWith(`${origin}/media/`)).toBe(true);

    const status = await masto.v1.statuses.create({
      status: "A picture for the peer",
      mediaIds: [uploaded.id],
    });
    expect(status.mediaAttachments).toEqual([
      expect.objectContaining({ id: uploaded.id, url, description: "A small red rectangle" }),
    ]);

    const create = await eventually(
      () => peer.inbox("Create").find((r) => JSON.stringify(r.json.object).includes(status.uri)),
      { what: "the Create at the peer" },
    );
    const note = create.json.object as Record<string, unknown>;
    expect(many(note.attachment)).toEqual([
      expect.objectContaining({
        type: "Document",
        mediaType: "image/png",
        url,
        name: "A small red rectangle",
        width: 3,
        height: 2,
      }),
    ]);

    // The peer fetches the file from the URL the Note gave, as a server does.
    const file = await fetch(url);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await file.arrayBuffer()).equals(PICTURE)).toBe(true);
  });

  it("shows a peer's post with a picture in the owner's home timeline, with its attachment", async () => {
    const [fern] = (
      await masto.v2.search.list({ q: `@${peer.handle("fern")}`, resolve: true, type: "accounts" })
    ).accounts;
    if (fern === undefined) throw new Error("the peer's account was not found");
    await masto.v1.accounts.$select(fern.id).follow();
    await eventually(() => peer.followersOf("fern").length > 0, { what: "the owner's follow" });

    const picture = `${peer.origin}/files/kale.jpg`;
    const noteId = await peer.post("fern", {
      content: "<p>Kale from the garden</p>",
      to: [`${origin}/users/owner`],
      attachments: [
        { url: picture, mediaType: "image/jpeg", name: "A bunch of kale", width: 800, height: 600 },
      ],
    });
    const status = await eventually(
      async () => (await masto.v1.timelines.home.list({ limit: 40 })).find((s) => s.uri === noteId),
      { what: "the peer's post in the home timeline" },
    );
    expect(status.account.acct).toBe(peer.handle("fern"));
    expect(status.mediaAttachments).toEqual([
      expect.objectContaining({
        type: "image",
        url: picture,
        remoteUrl: picture,
        description: "A bunch of kale",
        meta: expect.objectContaining({
          original: expect.objectContaining({ width: 800, height: 600 }),
        }),
      }),
    ]);
  });
});
