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
