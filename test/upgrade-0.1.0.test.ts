/**
 * What an instance of 0.1.0 (`test/fixtures/upgrade/0.1.0.sql`) shows once migrated to the
 * head, through the client API and the ActivityPub documents, as the owner's apps and other
 * servers read it: the same account, key and counts, the same home timeline, notifications,
 * threads, history and media, what the owner sorted and kept away, and the old notes and
 * accounts found by search. (`upgrade.test.ts` checks the rows themselves.)
 */
import { beforeAll, describe, expect, it } from "vitest";
import { mastodonId } from "../src/mastodon/ids";
import { appFetch, appJson, startingPoint, upgrade, upgradeDb } from "./fixtures/upgrade/database";
import { AP, OWNER } from "./helpers";

const T = 1780272000000;
const M = 60_000;
const H = 3_600_000;
/** The fixture's notes: a status id from the note's time and `seq`, and its IRI. */
const note = (seq: number, published: number, uri: string) => ({
  id: mastodonId("note", published, seq),
  uri,
});
const own = (seq: number, published: number) =>
  note(seq, published, `${OWNER}/statuses/${(BigInt(published) << 16n) | 4242n}`);
const FIRST = own(1, T);
const TIDES = note(2, T + 5 * M, "https://alice.test/users/alice/statuses/101");
const UNLISTED = own(3, T + 10 * M);
const FOLLOWERS_ONLY = own(4, T + 20 * M);
const DIRECT = own(5, T + 30 * M);
const DIRECT_REPLY = note(6, T + 40 * M, "https://alice.test/users/alice/statuses/102");
const BIRDHOUSE = note(7, T + 50 * M, "https://bob.example/users/bob/statuses/201");
const CONCERT = note(8, T + 60 * M, "https://social.test/users/frank/statuses/301");
const REPLY = own(9, T + 2 * H);
const SAME_COAST = note(10, T + 2 * H + 10 * M, "https://bob.example/users/bob/statuses/202");
const EDITED = own(12, T + 3 * H);
const DELETED = own(13, T + 3 * H + 30 * M);
const BACKSTAGE = note(14, T + 4 * H + 10 * M, "https://social.test/users/frank/statuses/302");
const WEATHER = note(16, T + 4 * H + 30 * M, "https://social.test/users/zoe/statuses/601");

interface Status {
  id: string;
  uri: string;
  reblog: Status | null;
  account: { acct: string };
  [field: string]: unknown;
}
type Account = { id: string; acct: string; [field: string]: unknown };

let db: D1Database;
const get = <T>(path: string) => appJson<T>(db, path);
const uris = (statuses: readonly Status[]) =>
  statuses.map((s) => (s.reblog === null ? s.uri : `boost of ${s.reblog.uri}`));
const accts = (accounts: readonly { acct: string }[]) => accounts.map((a) => a.acct);

beforeAll(async () => {
  db = await upgrade(startingPoint("0.1.0"));
});

describe("an instance of 0.1.0, upgraded", () => {
  it("lets the owner's app in with the token it held, and shows the account as it was", async () => {
    const account = await appJson<Account>(db, "/api/v1/accounts/verify_credentials", {
      token: "upgrade-0.1.0-user-token",
    });
    expect(account).toMatchObject({
      display_name: "Owner of Outpost",
      note: "<p>I write about tides and gardens.</p>",
      statuses_count: 6,
      followers_count: 3,
      following_count: 3,
      source: { privacy: "public", language: "en", follow_requests_count: 1 },
      fields: [{ name: "Garden" }],
    });
    // No picture was uploaded: the profile's new keys are empty, the defaults are shown.
    expect(account.avatar).toBe("https://outpost.test/avatars/missing.png");
    expect(await all("SELECT avatar_key, header_key FROM profile")).toEqual([
      { avatar_key: null, header_key: null },
    ]);
    expect(await all("SELECT count(*) AS n FROM media")).toEqual([{ n: 0 }]);
    // The app's own token still acts for no one; a token never issued is unknown.
    const appToken = await appFetch(db, "/api/v1/accounts/verify_credentials", {
      token: "upgrade-0.1.0-app-token",
    });
    expect(appToken.status).toBe(422);
    expect((await appFetch(db, "/api/v1/timelines/home", { token: "unknown" })).status).toBe(401);
  });

  it("gives other servers the same key, collections and notes", async () => {
    const actor = await appJson<{ publicKey: { publicKeyPem: string } }>(db, "/users/owner", {
      accept: AP,
    });
    const pem = startingPoint("0.1.0").fixture.match(/-----BEGIN PUBLIC KEY-----[^']*/)?.[0];
    expect(actor.publicKey.publicKeyPem).toBe(pem);
    for (const [path, totalItems] of [
      ["/users/owner/outbox", 5],
      ["/users/owner/followers", 3],
      ["/users/owner/following", 3],
    ] as const) {
      expect(await appJson(db, path, { accept: AP })).toMatchObject({ totalItems });
    }
    const path = (uri: string) => new URL(uri).pathname;
    expect((await appFetch(db, path(FIRST.uri), { accept: AP })).status).toBe(200);
    expect((await appFetch(db, path(DELETED.uri), { accept: AP })).status).toBe(410);
    expect((await appFetch(db, `/api/v1/statuses/${DELETED.id}`)).status).toBe(404);
  });

  it("shows the home timeline as it was, boosts, edits and filters included", async () => {
    const home = await get<Status[]>("/api/v1/timelines/home?limit=40");
    // Newest first; zoe's posts are on an exclusive list, dave's, bob's and carol's are not
    // followed, and the owner's and frank's boosts come too soon after their notes to show.
    expect(uris(home)).toEqual([
      BACKSTAGE.uri,
      EDITED.uri,
      REPLY.uri,
      `boost of ${BIRDHOUSE.uri}`,
      CONCERT.uri,
      DIRECT_REPLY.uri,
      DIRECT.uri,
      FOLLOWERS_ONLY.uri,
      UNLISTED.uri,
      TIDES.uri,
      FIRST.uri,
    ]);
    const boost = home[3];
    expect(BigInt(boost?.id ?? 0) & 1n).toBe(1n);
    expect(boost?.account.acct).toBe("alice@alice.test");
    expect(boost?.filtered).toMatchObject([
      { filter: { title: "Birdhouses" }, status_matches: [BIRDHOUSE.id] },
    ]);
    expect(home[1]?.edited_at).toBe(new Date(T + 5 * H).toISOString());
    const list = await get<Status[]>("/api/v1/timelines/list/2");
    expect(uris(list)).toEqual([WEATHER.uri]);
  });

  it("keeps each status's reactions, thread, media and earlier versions", async () => {
    expect(await get(`/api/v1/statuses/${FIRST.id}`)).toMatchObject({
      favourites_count: 3,
      reblogs_count: 1,
      pinned: true,
      tags: [{ name: "introduction" }],
    });
    const likedBy = await get<Account[]>(`/api/v1/statuses/${FIRST.id}/favourited_by`);
    expect(accts(likedBy).toSorted()).toEqual([
      "alice@alice.test",
      "bob@bob.example",
      "frank@social.test",
    ]);
    const thread = await get<{ descendants: Status[] }>(`/api/v1/statuses/${TIDES.id}/context`);
    expect(uris(thread.descendants)).toEqual([REPLY.uri, SAME_COAST.uri]);
    expect(await get(`/api/v1/statuses/${TIDES.id}`)).toMatchObject({
      replies_count: 2,
      favourited: true,
      bookmarked: true,
    });
    expect(await get(`/api/v1/statuses/${BIRDHOUSE.id}`)).toMatchObject({
      reblogs_count: 1,
      media_attachments: [
        {
          type: "image",
          url: "https://bob.example/media/birdhouse.jpg",
          description: "A wooden birdhouse",
        },
      ],
    });
    expect(await get(`/api/v1/statuses/${CONCERT.id}`)).toMatchObject({
      sensitive: true,
      spoiler_text: "loud music",
      reblogged: true,
      media_attachments: [{ type: "image", meta: { original: { width: 800, height: 600 } } }],
    });
    const history = await get<{ content: string }[]>(`/api/v1/statuses/${EDITED.id}/history`);
    expect(history.map((v) => v.content)).toEqual([
      "<p>The marathon is tomorrow</p>",
      "<p>Edited: the marathon went well, 3:59!</p>",
    ]);
  });

  it("groups the notifications as they were, and knows what is unread", async () => {
    const { notification_groups: groups } = await get<{
      notification_groups: { group_key: string; type: string; notifications_count: number }[];
    }>("/api/v2/notifications?limit=40");
    expect(groups.map((g) => [g.type, g.notifications_count])).toEqual([
      ["favourite", 1],
      ["mention", 1],
      ["reblog", 1],
      ["favourite", 3],
      ["mention", 1],
      ["follow_request", 1],
      ["follow", 2],
      ["follow", 1],
    ]);
    expect(groups[3]?.group_key).toBe("favourite-1-494521");
    const v1 = await get<{ type: string }[]>("/api/v1/notifications?limit=40");
    expect(v1).toHaveLength(11);
    expect(await get("/api/v1/notifications/unread_count")).toEqual({ count: 5 });
    expect(await get("/api/v1/markers?timeline[]=home&timeline[]=notifications")).toMatchObject({
      home: { last_read_id: UNLISTED.id, version: 3 },
      notifications: { last_read_id: mastodonId("notification", T + H, 6), version: 7 },
    });
  });

  it("finds the old notes by their words, and the accounts by name and handle", async () => {
    const search = (q: string, type: string) =>
      get<{ accounts: Account[]; statuses: Status[]; hashtags: { name: string }[] }>(
        `/api/v2/search?${new URLSearchParams({ q, type })}`,
      );
    expect(uris((await search("lighthouse", "statuses")).statuses)).toEqual([
      DIRECT_REPLY.uri,
      DIRECT.uri,
    ]);
    expect(uris((await search("cardamom", "statuses")).statuses)).toEqual([FOLLOWERS_ONLY.uri]);
    // Zoë, found without her diacritic; alice by the start of her handle and of her name.
    expect(accts((await search("zoe", "accounts")).accounts)).toEqual(["zoe@social.test"]);
    expect(accts(await get<Account[]>("/api/v1/accounts/search?q=ali"))).toEqual([
      "alice@alice.test",
    ]);
    expect(accts(await get<Account[]>("/api/v1/accounts/search?q=Liddell"))).toEqual([
      "alice@alice.test",
    ]);
    expect((await search("intro", "hashtags")).hashtags.map((h) => h.name)).toEqual([
      "introduction",
    ]);
    expect(uris(await get<Status[]>("/api/v1/timelines/tag/introduction"))).toEqual([FIRST.uri]);
  });

  it("keeps what the owner sorted and kept away", async () => {
    expect(uris(await get<Status[]>("/api/v1/bookmarks"))).toEqual([CONCERT.uri, TIDES.uri]);
    expect(uris(await get<Status[]>("/api/v1/favourites"))).toEqual([TIDES.uri]);
    expect(await get("/api/v1/lists")).toEqual([
      { id: "1", title: "Friends", replies_policy: "list", exclusive: false },
      { id: "2", title: "Bots", replies_policy: "followed", exclusive: true },
    ]);
    expect(accts(await get<Account[]>("/api/v1/lists/1/accounts")).toSorted()).toEqual([
      "alice@alice.test",
      "frank@social.test",
    ]);
    expect(await get("/api/v2/filters")).toMatchObject([
      { title: "Spoilers", keywords: [{ keyword: "finale" }, { keyword: "season 3" }] },
      { title: "Birdhouses", statuses: [{ status_id: BIRDHOUSE.id }] },
    ]);
    expect(accts(await get<Account[]>("/api/v1/blocks"))).toEqual(["eve@evil.test"]);
    expect(accts(await get<Account[]>("/api/v1/mutes"))).toEqual(["dave@dave.test"]);
    expect(await get("/api/v1/domain_blocks")).toEqual(["spam.example"]);
    expect(accts(await get<Account[]>("/api/v1/follow_requests"))).toEqual(["carol@carol.test"]);
    const ids = await Promise.all(
      ["alice@alice.test", "bob@bob.example"].map(
        async (acct) => (await get<Account>(`/api/v1/accounts/lookup?acct=${acct}`)).id,
      ),
    );
    expect(
      await get(`/api/v1/accounts/relationships?${ids.map((id) => `id[]=${id}`).join("&")}`),
    ).toMatchObject([
      { following: true, followed_by: true, requested: false },
      { following: false, followed_by: true, requested: true },
    ]);
    const conversations =
      await get<{ unread: boolean; last_status: Status }[]>("/api/v1/conversations");
    expect(conversations).toMatchObject([
      {
        unread: true,
        accounts: [{ acct: "alice@alice.test" }],
        last_status: { uri: DIRECT_REPLY.uri },
      },
    ]);
  });
});

async function all(sql: string) {
  return (await upgradeDb().prepare(sql).all()).results;
}
