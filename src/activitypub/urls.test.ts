import { describe, expect, it } from "vitest";
import { localUrls, newObjectId } from "./urls";

describe("newObjectId", () => {
  it("sorts by creation time and differs within a millisecond", () => {
    const ids = [
      newObjectId(new Date(1_700_000_000_000)),
      newObjectId(new Date(1_700_000_000_001)),
      newObjectId(new Date(1_800_000_000_000)),
    ];
    expect(ids.map(BigInt)).toEqual([...ids.map(BigInt)].sort((a, b) => (a < b ? -1 : 1)));
    expect(
      new Set(Array.from({ length: 50 }, () => newObjectId(new Date(1)))).size,
    ).toBeGreaterThan(1);
    expect(ids[0]).toMatch(/^\d+$/);
  });
});

describe("localUrls", () => {
  it("derives every IRI from one origin", () => {
    const urls = localUrls("https://social.example", "alice", "social.example");
    expect(urls.owner.id).toBe("https://social.example/users/alice");
    expect(urls.note("1")).toBe("https://social.example/users/alice/statuses/1");
    expect(urls.noteActivity("1")).toBe("https://social.example/users/alice/statuses/1/activity");
    expect(urls.instance).toMatchObject({
      id: "https://social.example/actor",
      username: "social.example",
    });
    expect(urls.media("avatars/me 1.png")).toBe("https://social.example/media/avatars/me%201.png");
  });
});
