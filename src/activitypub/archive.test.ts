import { describe, expect, it } from "vitest";
import { mediaKeyOf, pictureName, toArchiveActivity, toArchiveActor } from "./archive";

const PREFIX = "https://outpost.example/media/";

describe("the archive's documents", () => {
  it("finds our files by URL, and only plain relative keys", () => {
    expect(mediaKeyOf(`${PREFIX}attachments/ab12.png`, PREFIX)).toBe("attachments/ab12.png");
    expect(mediaKeyOf(`${PREFIX}a%20b/c.png`, PREFIX)).toBe("a b/c.png");
    expect(mediaKeyOf("https://elsewhere.example/media/x.png", PREFIX)).toBeUndefined();
    for (const bad of ["../x", "a//b", "a/%2E%2E/b", "a\\b", "%00", "%E0"]) {
      expect(mediaKeyOf(`${PREFIX}${bad}`, PREFIX), bad).toBeUndefined();
    }
    expect(pictureName("avatar", "avatars/x.PNG")).toBe("avatar.png");
    expect(pictureName("header", "headers/x")).toBe("header");
  });

  it("links the actor to the archive's files, and activities to our files in it", () => {
    const actor = toArchiveActor(
      {
        id: "a",
        outbox: "o",
        icon: { type: "Image", url: "u" },
        image: { type: "Image", url: "h" },
      },
      { avatar: "avatar.png" },
    );
    expect(actor).toEqual({
      id: "a",
      outbox: "outbox.json",
      likes: "likes.json",
      bookmarks: "bookmarks.json",
      icon: { type: "Image", url: "avatar.png" },
      image: { type: "Image", url: "h" },
    });
    const create = {
      "@context": "x",
      type: "Create",
      object: {
        type: "Note",
        attachment: [{ url: `${PREFIX}attachments/1.png` }, { url: "https://r.example/2.png" }],
      },
    };
    const local = (url: string) =>
      url.startsWith(PREFIX) ? `media/${url.slice(PREFIX.length)}` : undefined;
    expect(toArchiveActivity(create, local)).toEqual({
      type: "Create",
      object: {
        type: "Note",
        attachment: [{ url: "media/attachments/1.png" }, { url: "https://r.example/2.png" }],
      },
    });
    expect(toArchiveActivity({ type: "Announce", object: "https://r.example/n" }, local)).toEqual({
      type: "Announce",
      object: "https://r.example/n",
    });
  });
});
