import { describe, expect, it } from "vitest";
import { prefersActivityJson } from "./negotiation";

describe("prefersActivityJson", () => {
  it.each([
    "application/activity+json",
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    "application/ld+json",
    "application/json",
    "application/activity+json, application/ld+json",
    // Pleroma and Akkoma
    "application/activity+json, text/html;q=0.1",
    // Mastodon's fetcher
    'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams", text/html;q=0.1',
    "APPLICATION/ACTIVITY+JSON",
  ])("is true for %s", (accept) => {
    expect(prefersActivityJson(accept)).toBe(true);
  });

  it.each([
    undefined,
    "",
    "*/*",
    "text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/activity+json;q=0.5, text/html",
    "application/activity+json;q=0",
    "image/png",
  ])("is false for %s", (accept) => {
    expect(prefersActivityJson(accept)).toBe(false);
  });
});
