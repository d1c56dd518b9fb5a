import { describe, expect, it } from "vitest";
import { followersPlan } from "./recipients";

describe("how a fan-out reads the followers", () => {
  it("sorts them when they fit a page or most stored actors are not followers; walks the index when they are many and most stored actors follow", () => {
    const limit = 500;
    expect(followersPlan({ followers: 50, actors: 5_000, limit })).toBe("sort");
    expect(followersPlan({ followers: 500, actors: 500, limit })).toBe("sort");
    expect(followersPlan({ followers: 600, actors: 6_000, limit })).toBe("sort");
    expect(followersPlan({ followers: 10_000, actors: 12_000, limit })).toBe("walk");
    expect(followersPlan({ followers: 10_000, actors: 30_000, limit })).toBe("walk");
    expect(followersPlan({ followers: 10_000, actors: 1_000_000, limit })).toBe("sort");
  });
});
