/**
 * Remote notes' files (issue 16) as the client API shows them: Mastodon's MediaAttachment,
 * with the remote URL, sizes, blurhash, focus and alt text the sender gave (GoToSocial's in
 * `summary`), and a PeerTube video's playable file. The shapes the parser reads are
 * `src/activitypub/remote-note.test.ts`'s; these go through the inbox and the API.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { attachmentId } from "../src/mastodon/ids";
import { notes } from "../src/storage/schema";
import { api, db, statusIdOf } from "./helpers";
import { accepted, OWNER, PUBLIC, RemoteActor } from "./support/remote";

interface Status {
  media_attachments: Record<string, unknown>[];
}

describe("remote media in the API", { timeout: 20_000 }, () => {
  it("shows a remote note's files with their remote URLs, sizes, blurhash, focus and alt text", async () => {
    const eve = await RemoteActor.create({ host: "media-c.test", username: "eve" });
    const remote = eve.note("<p>from afar</p>", {
      to: [PUBLIC, OWNER],
      attachment: [
        {
          type: "Image",
          mediaType: "image/jpeg",
          url: "https://media-c.test/files/heron.jpg",
          summary: "A heron, as GoToSocial says it",
          blurhash: "LIIE|gRj00WB-;j[t7j[4nWBj[Rj",
          focalPoint: [-0.5, 0.5],
          width: 1620,
          height: 1080,
        },
        { type: "Document", mediaType: "video/mp4", url: "https://media-c.test/files/clip.mp4" },
      ],
    });
    await accepted(eve, eve.activity("Create", remote));
    const id = await statusIdOf(remote.id);
    const [row] = await db().select().from(notes).where(eq(notes.id, remote.id));
    if (row === undefined) throw new Error("the remote note was not stored");
    const status = (await (await api(`/v1/statuses/${id}`)).json()) as Status;
    expect(status.media_attachments).toEqual([
      {
        id: attachmentId(row, 0),
        type: "image",
        url: "https://media-c.test/files/heron.jpg",
        preview_url: "https://media-c.test/files/heron.jpg",
        remote_url: "https://media-c.test/files/heron.jpg",
        preview_remote_url: null,
        text_url: null,
        meta: {
          original: { width: 1620, height: 1080, size: "1620x1080", aspect: 1.5 },
          small: { width: 1620, height: 1080, size: "1620x1080", aspect: 1.5 },
          focus: { x: -0.5, y: 0.5 },
        },
        description: "A heron, as GoToSocial says it",
        blurhash: "LIIE|gRj00WB-;j[t7j[4nWBj[Rj",
      },
      expect.objectContaining({
        id: attachmentId(row, 1),
        type: "video",
        remote_url: "https://media-c.test/files/clip.mp4",
        description: null,
        meta: null,
        blurhash: null,
      }),
    ]);
  });

  it("shows a PeerTube video's playable file", async () => {
    const tube = await RemoteActor.create({ host: "media-tube.test", username: "ann" });
    const video = {
      id: "https://media-tube.test/videos/watch/e79",
      type: "Video",
      name: "A week of news",
      attributedTo: [tube.id, { type: "Group", id: "https://media-tube.test/video-channels/n" }],
      content: "<p>This week</p>",
      published: new Date().toISOString(),
      to: [PUBLIC, OWNER],
      url: [
        { type: "Link", mediaType: "text/html", href: "https://media-tube.test/videos/watch/e79" },
        {
          type: "Link",
          mediaType: "video/mp4",
          href: "https://media-tube.test/static/e79-480.mp4",
          height: 480,
          width: 854,
        },
      ],
    };
    await accepted(tube, tube.activity("Create", video));
    const status = (await (
      await api(`/v1/statuses/${await statusIdOf(video.id)}`)
    ).json()) as Status;
    expect(status.media_attachments).toEqual([
      expect.objectContaining({
        type: "video",
        url: "https://media-tube.test/static/e79-480.mp4",
        remote_url: "https://media-tube.test/static/e79-480.mp4",
        description: "A week of news",
        meta: expect.objectContaining({ original: expect.objectContaining({ height: 480 }) }),
      }),
    ]);
  });
});
