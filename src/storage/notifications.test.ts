import { describe, expect, it } from "vitest";
import { groupKeyFor } from "./notifications";

const at = (iso: string) => new Date(iso);
/** Hours since the epoch, as the group keys count them. */
const hourOf = (iso: string) => Math.floor(Date.parse(iso) / 3_600_000);

describe("groupKeyFor", () => {
  it("groups favourites and boosts per status, and follows together, by hour", () => {
    const noon = "2026-03-01T12:30:00Z";
    expect(groupKeyFor({ type: "favourite", statusSeq: 7, at: at(noon) })).toBe(
      `favourite-7-${hourOf(noon)}`,
    );
    expect(groupKeyFor({ type: "reblog", statusSeq: 7, at: at(noon) })).toBe(
      `reblog-7-${hourOf(noon)}`,
    );
    expect(groupKeyFor({ type: "follow", at: at(noon) })).toBe(`follow-${hourOf(noon)}`);
  });

  it("leaves mentions and follow requests ungrouped", () => {
    expect(groupKeyFor({ type: "mention", at: new Date() })).toBeNull();
    expect(groupKeyFor({ type: "follow_request", at: new Date() })).toBeNull();
  });

  it("joins the latest group while it began less than 12 hours before, then starts another", () => {
    const start = hourOf("2026-03-01T08:10:00Z");
    const latest = `favourite-7-${start}`;
    const later = (iso: string) =>
      groupKeyFor({ type: "favourite", statusSeq: 7, at: at(iso), latest });
    expect(later("2026-03-01T08:50:00Z")).toBe(latest);
    expect(later("2026-03-01T19:59:00Z")).toBe(latest);
    expect(later("2026-03-01T20:00:00Z")).toBe(`favourite-7-${start + 12}`);
    // Another status's group is not this one's.
    expect(
      groupKeyFor({ type: "favourite", statusSeq: 8, at: at("2026-03-01T09:00:00Z"), latest }),
    ).toBe(`favourite-8-${start + 1}`);
  });
});
