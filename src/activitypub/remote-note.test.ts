/** Reading a remote note's lists: capped, yet never losing who the note is for. */
import { describe, expect, it } from "vitest";
import { PUBLIC_COLLECTION } from "./context";
import { MAX_KEPT_BEYOND } from "./parse";
import { NOTE_LIST_LIMITS, parseNote, visibilityOf } from "./remote-note";

const OWNER = "https://outpost.test/users/owner";
const AUTHOR = "https://remote.test/users/ann";
const crowd = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => `https://remote.test/${prefix}${i}`);

const note = (extra: Record<string, unknown>) =>
  parseNote(
    { id: `${AUTHOR}/notes/1`, type: "Note", attributedTo: AUTHOR, content: "<p>x</p>", ...extra },
    { owner: OWNER },
  );

describe("parseNote's caps", () => {
  it("keeps the first entries of each list and no more", () => {
    const parsed = note({ to: crowd(1000, "a"), cc: crowd(1000, "b"), tag: [], attachment: [] });
    expect(parsed?.to).toHaveLength(NOTE_LIST_LIMITS.to);
    expect(parsed?.cc).toHaveLength(NOTE_LIST_LIMITS.cc);
    expect(parsed?.to[0]).toBe("https://remote.test/a0");
  });

  it("reads the public collection and the owner beyond the cap, before any followers collection", () => {
    const followers = Array.from({ length: 20 }, (_, i) => `https://remote.test/u${i}/followers`);
    const parsed = note({ to: [...crowd(500, "a"), ...followers, OWNER, "as:Public"] });
    expect(parsed?.to).toHaveLength(NOTE_LIST_LIMITS.to + MAX_KEPT_BEYOND);
    expect(parsed?.to).toContain(OWNER);
    expect(parsed?.to).toContain(PUBLIC_COLLECTION);
    expect(parsed && visibilityOf(parsed, undefined)).toBe("public");
  });

  it("reads a followers collection beyond the cap, Friendica's shape too", () => {
    const parsed = note({ to: [], cc: [...crowd(500, "b"), "https://remote.test/followers/ann"] });
    expect(parsed?.cc).toContain("https://remote.test/followers/ann");
    expect(parsed && visibilityOf(parsed, "https://remote.test/followers/ann")).toBe("private");
  });
});

/** Attachments as real servers write them (trimmed from the shared corpus, file named). */
describe("parseNote's attachments", () => {
  it("keeps what Mastodon sends: alt text, blurhash, focal point, size (mastodon/lemmy-assets/objects__note_2)", () => {
    const parsed = note({
      attachment: [
        {
          type: "Document",
          mediaType: "image/jpeg",
          url: "https://cdn.masto.host/floss/media_attachments/files/113/original/c8d9.jpg",
          name: "The KDE dragons Katie and Konqi stand on either side of a pot.",
          blurhash: "USQv:h-W-qI-^,W;RPs=^-R%NZxbo#sDobSc",
          focalPoint: [0.0, 0.0],
          width: 1500,
          height: 1095,
        },
      ],
    });
    expect(parsed?.attachments).toEqual([
      {
        type: "Document",
        mediaType: "image/jpeg",
        url: "https://cdn.masto.host/floss/media_attachments/files/113/original/c8d9.jpg",
        name: "The KDE dragons Katie and Konqi stand on either side of a pot.",
        blurhash: "USQv:h-W-qI-^,W;RPs=^-R%NZxbo#sDobSc",
        focalPoint: [0, 0],
        width: 1500,
        height: 1095,
      },
    ]);
  });

  it("reads Pixelfed's Image (pixelfed/vernissage-fixtures/statusCase02)", () => {
    const parsed = note({
      attachment: [
        {
          type: "Image",
          mediaType: "image/jpeg",
          url: "https://pxscdn.com/public/m/_v2/502420301986951048/f1538e3aa-7b3151/NUalEqHRyJfn/YPp7.jpg",
          name: "Stickers on the glass from the stairs, casting long and colourful shadows.",
          blurhash: "U9AmM5?GIp9b~UNGoeRk4=E2oeax4;ofxtWB",
          width: 1620,
          height: 1080,
        },
      ],
    });
    expect(parsed?.attachments[0]).toMatchObject({
      type: "Image",
      name: "Stickers on the glass from the stairs, casting long and colourful shadows.",
      blurhash: "U9AmM5?GIp9b~UNGoeRk4=E2oeax4;ofxtWB",
      width: 1620,
      height: 1080,
    });
  });

  it("takes GoToSocial's alt text from `summary` (gotosocial/.../TestStatusWithTagsToASFromDB)", () => {
    const parsed = note({
      attachment: [
        {
          blurhash: "LIIE|gRj00WB-;j[t7j[4nWBj[Rj",
          focalPoint: [-0.5, 0.5],
          mediaType: "image/jpeg",
          summary: "Black and white image of some 50's style text saying: Welcome On Board",
          type: "Image",
          url: "http://localhost:8080/fileserver/01F8MH17FWEB39HZJ76B6VXSKF/attachment/original/01F8MH6NEM8D7527KZAECTCR76.jpg",
        },
      ],
    });
    expect(parsed?.attachments[0]).toMatchObject({
      type: "Image",
      name: "Black and white image of some 50's style text saying: Welcome On Board",
      blurhash: "LIIE|gRj00WB-;j[t7j[4nWBj[Rj",
      focalPoint: [-0.5, 0.5],
    });
  });

  it("reads Misskey's Document: no alt text is none (Misskey's renderDocument)", () => {
    const parsed = note({
      attachment: [
        {
          type: "Document",
          mediaType: "image/webp",
          url: "https://misskey.example/files/webpublic-0a1b2c3d.webp",
          name: null,
          width: 800,
          height: 600,
          sensitive: true,
        },
      ],
    });
    expect(parsed?.attachments).toEqual([
      {
        type: "Document",
        mediaType: "image/webp",
        url: "https://misskey.example/files/webpublic-0a1b2c3d.webp",
        width: 800,
        height: 600,
      },
    ]);
  });

  it("keeps a Lemmy link by its href, typed by nothing (lemmy/lemmy-assets/objects__page)", () => {
    const parsed = note({
      attachment: [
        { type: "Link", href: "https://enterprise.lemmy.ml/pictrs/image/eOtYb9iEiB.png" },
      ],
    });
    expect(parsed?.attachments).toEqual([
      { type: "Link", url: "https://enterprise.lemmy.ml/pictrs/image/eOtYb9iEiB.png" },
    ]);
  });

  it("drops what is malformed and bounds the rest", () => {
    const parsed = note({
      attachment: [
        {
          type: "Document",
          mediaType: "not a type",
          url: "https://remote.test/a.png",
          name: "x".repeat(5000),
          blurhash: "not a blurhash!",
          focalPoint: [3, -7],
          width: "800",
          height: -1,
        },
        { type: "Document", url: "javascript:alert(1)" },
        "https://remote.test/bare-string.png",
        ...Array.from({ length: 30 }, (_, i) => ({
          type: "Image",
          url: `https://remote.test/${i}.png`,
        })),
      ],
    });
    const [first] = parsed?.attachments ?? [];
    expect(first).toEqual({
      type: "Document",
      url: "https://remote.test/a.png",
      name: "x".repeat(1500),
      focalPoint: [1, -1],
    });
    // Of the first 16 entries, those naming a file: not a script, not a bare string.
    expect(parsed?.attachments).toHaveLength(14);
    expect(parsed?.attachments[1]?.url).toBe("https://remote.test/0.png");
  });

  it("takes a blurhash only as Mastodon does: its characters, at most 5×5 components, its length", () => {
    const blurhashOf = (blurhash: string) =>
      note({ attachment: [{ type: "Image", url: "https://remote.test/b.png", blurhash }] })
        ?.attachments[0]?.blurhash;
    expect(blurhashOf("LIIE|gRj00WB-;j[t7j[4nWBj[Rj")).toBe("LIIE|gRj00WB-;j[t7j[4nWBj[Rj");
    expect(blurhashOf("LIIE|gRj00WB-;j[t7j[4nWBj[R")).toBeUndefined(); // one short
    expect(blurhashOf(`~${"0".repeat(165)}`)).toBeUndefined(); // 9×9 components
  });
});

describe("a PeerTube Video's file", () => {
  const video = (url: unknown) =>
    parseNote({
      id: "https://tube.test/videos/watch/e79",
      type: "Video",
      name: "Mesa, Wayland & X.org in trouble",
      attributedTo: [
        { type: "Person", id: "https://tube.test/accounts/ann" },
        { type: "Group", id: "https://tube.test/video-channels/news" },
      ],
      content: "<p>This week's news</p>",
      to: [PUBLIC_COLLECTION],
      url,
    });
  const hls = "https://tube.test/static/streaming-playlists/hls/e79";

  it("is the playable MP4 up to 720p, found in the HLS playlist's tags (peertube/lemmy-assets/objects__video)", () => {
    const parsed = video([
      { type: "Link", mediaType: "text/html", href: "https://tube.test/videos/watch/e79" },
      {
        type: "Link",
        mediaType: "application/x-mpegURL",
        href: `${hls}/master.m3u8`,
        tag: [
          { type: "Infohash", name: "bade027756842ecef7a1fb7b437dcaa52eb72350" },
          {
            type: "Link",
            mediaType: "video/mp4",
            href: `${hls}/1080.mp4`,
            height: 1080,
            width: 1920,
          },
          {
            type: "Link",
            mediaType: "application/x-bittorrent",
            href: `${hls}/360.torrent`,
            height: 360,
          },
          { type: "Link", mediaType: "video/mp4", href: `${hls}/360.mp4`, height: 360, width: 640 },
          { type: "Link", mediaType: "video/mp4", href: `${hls}/144.mp4`, height: 144, width: 256 },
        ],
      },
      { type: "Link", href: "wss://tube.test:443/tracker/socket" },
    ]);
    expect(parsed?.url).toBe("https://tube.test/videos/watch/e79");
    expect(parsed?.attributedTo).toBe("https://tube.test/accounts/ann");
    expect(parsed?.attachments).toEqual([
      {
        type: "Video",
        mediaType: "video/mp4",
        url: `${hls}/360.mp4`,
        name: "Mesa, Wayland & X.org in trouble",
        width: 640,
        height: 360,
      },
    ]);
  });

  it("reads the old `mimeType` links (peertube/akkoma-fixtures/tesla_mock__peertube.moe-vid)", () => {
    const parsed = video([
      {
        href: "https://tube.test/static/webseed/df5-480.mp4",
        mimeType: "video/mp4",
        type: "Link",
        width: 480,
      },
      {
        href: "https://tube.test/static/torrents/df5-480.torrent",
        mimeType: "application/x-bittorrent",
        type: "Link",
      },
      {
        href: "https://tube.test/static/webseed/df5-360.mp4",
        mimeType: "video/mp4",
        type: "Link",
        width: 360,
      },
    ]);
    expect(parsed?.attachments).toEqual([
      expect.objectContaining({
        url: "https://tube.test/static/webseed/df5-480.mp4",
        mediaType: "video/mp4",
      }),
    ]);
  });

  it("is the smallest above 720p when there is nothing smaller, and none without a playable file", () => {
    const only = video([
      { type: "Link", mediaType: "video/mp4", href: "https://tube.test/2160.mp4", height: 2160 },
      { type: "Link", mediaType: "video/mp4", href: "https://tube.test/1080.mp4", height: 1080 },
    ]);
    expect(only?.attachments[0]?.url).toBe("https://tube.test/1080.mp4");
    const none = video([
      { type: "Link", mediaType: "text/html", href: "https://tube.test/videos/watch/e79" },
      { type: "Link", mediaType: "application/x-mpegURL", href: `${hls}/master.m3u8` },
    ]);
    expect(none?.attachments).toEqual([]);
  });

  it("reads a bounded number of links", () => {
    const links = Array.from({ length: 200 }, (_, i) => ({
      type: "Link",
      mediaType: "application/x-bittorrent",
      href: `https://tube.test/${i}.torrent`,
    }));
    links.push({ type: "Link", mediaType: "video/mp4", href: "https://tube.test/late.mp4" });
    expect(video(links)?.attachments).toEqual([]);
  });
});
