import { describe, expect, it } from "vitest";
import {
  deletedStreams,
  homeStreams,
  MAX_HASHTAG_STREAMS,
  mayReach,
  publicStreams,
  type StatusPlaces,
} from "./routing";

const nowhere: StatusPlaces = {
  home: false,
  lists: [],
  public: false,
  tagged: false,
  local: false,
  media: false,
  hashtags: [],
};

describe("which streams show a status", () => {
  it("home's: user when the home shows it, and each list that does", () => {
    expect(homeStreams({ ...nowhere, home: true, lists: [3, 7] })).toEqual([
      "user",
      "list:3",
      "list:7",
    ]);
    expect(homeStreams({ ...nowhere, lists: [3] })).toEqual(["list:3"]);
  });

  it("the public timelines', local or remote, with their media streams when it has media", () => {
    expect(publicStreams({ ...nowhere, public: true, local: true })).toEqual([
      "public",
      "public:local",
    ]);
    expect(publicStreams({ ...nowhere, public: true, media: true })).toEqual([
      "public",
      "public:remote",
      "public:media",
      "public:remote:media",
    ]);
  });

  it("the hashtags', normalised, the local ones for the owner's, a reply too (not public)", () => {
    const places = { ...nowhere, tagged: true, local: true, hashtags: ["Café", "café", "x y"] };
    expect(publicStreams(places)).toEqual(["hashtag:café", "hashtag:local:café"]);
    const many = Array.from({ length: 30 }, (_, i) => `t${i}`);
    expect(publicStreams({ ...nowhere, tagged: true, hashtags: many })).toHaveLength(
      MAX_HASHTAG_STREAMS,
    );
  });

  it("a delete goes wherever the status may have been", () => {
    const deleted = { visibility: "public" as const, local: true, hashtags: ["a"], lists: [2] };
    expect(deletedStreams(deleted)).toEqual([
      "user",
      "list:2",
      "public",
      "public:local",
      "public:media",
      "public:local:media",
      "hashtag:a",
      "hashtag:local:a",
    ]);
    expect(deletedStreams({ ...deleted, visibility: "direct" })).toEqual(["user", "direct"]);
    expect(deletedStreams({ ...deleted, visibility: "private" })).toEqual(["user", "list:2"]);
  });
});

describe("which changes some socket may see", () => {
  const listening = (streams: string[], notifications = true) => ({
    streams: new Set(streams),
    notifications,
  });
  const note = { kind: "note", id: "https://outpost.test/users/owner/statuses/1" } as const;
  const like = { kind: "notifications", account: "https://peer.test/u", at: new Date(0) } as const;

  it("none, with no stream listened to", () => {
    for (const change of [note, like, { kind: "filters" } as const]) {
      expect(mayReach(change, listening([], false))).toBe(false);
    }
  });

  it("notifications only where one may get them; notes not on user:notification alone", () => {
    expect(mayReach(like, listening(["user:notification"]))).toBe(true);
    expect(mayReach(like, listening(["user:notification"], false))).toBe(false);
    expect(mayReach(note, listening(["user:notification"]))).toBe(false);
    expect(mayReach(note, listening(["hashtag:café"]))).toBe(true);
  });

  it("boosts and filter changes on user alone", () => {
    const boost = { kind: "boost", activity: "https://peer.test/a" } as const;
    expect(mayReach(boost, listening(["public", "list:3"]))).toBe(false);
    expect(mayReach(boost, listening(["user"]))).toBe(true);
    expect(mayReach({ kind: "filters" }, listening(["user"]))).toBe(true);
  });
});
