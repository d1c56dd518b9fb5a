import { describe, expect, it } from "vitest";
import { addressFor } from "./addressing";
import { composeHtml, findHandles } from "./compose";

const alice = {
  username: "alice",
  host: "remote.test",
  id: "https://remote.test/users/alice",
  url: "https://remote.test/@alice",
};
const tagUrl = (tag: string) => `https://outpost.test/tags/${tag}`;

describe("composeHtml", () => {
  it("links URLs, resolved mentions and hashtags, and escapes the rest", () => {
    const { html, hashtags, mentions } = composeHtml(
      "Hi @alice@remote.test & @nobody@nowhere.test, see https://example.com/a?b=1. #Fediverse <b>\n\nbye",
      { mentions: [alice], tagUrl },
    );
    expect(html).toBe(
      '<p>Hi <span class="h-card" translate="no"><a href="https://remote.test/@alice" class="u-url mention">@<span>alice</span></a></span> &amp; @nobody@nowhere.test, see <a href="https://example.com/a?b=1" target="_blank" rel="nofollow noopener noreferrer">example.com/a?b=1</a>. <a href="https://outpost.test/tags/fediverse" class="mention hashtag" rel="tag">#<span>Fediverse</span></a> &lt;b&gt;</p><p>bye</p>',
    );
    expect(hashtags).toEqual(["fediverse"]);
    expect(mentions).toEqual([alice]);
  });

  it("does not take e-mail addresses, URL fragments or HTML entities for mentions and tags", () => {
    const { html, hashtags } = composeHtml("mail me@x.test, see https://x.test/#top and &#39;", {
      mentions: [],
      tagUrl,
    });
    expect(hashtags).toEqual([]);
    expect(html).not.toContain("hashtag");
  });

  it("finds each handle once, case-insensitively", () => {
    expect(findHandles("@Alice@Remote.test @alice@remote.test @bob@other.test:8443")).toEqual([
      { username: "alice", host: "remote.test" },
      { username: "bob", host: "other.test:8443" },
    ]);
  });
});

describe("addressFor", () => {
  const followers = "https://outpost.test/users/owner/followers";
  const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
  const m = ["https://remote.test/users/alice"];
  it.each([
    ["public", { to: [PUBLIC], cc: [followers, ...m] }],
    ["unlisted", { to: [followers], cc: [PUBLIC, ...m] }],
    ["private", { to: [followers], cc: m }],
    ["direct", { to: m, cc: [] }],
  ] as const)("%s", (visibility, expected) => {
    expect(addressFor(visibility, followers, m)).toEqual(expected);
  });
});
