/**
 * Accounts in lists: an account's followers and follows, the owner's relationships with
 * accounts (follows both ways, blocks, mutes, blocked domains), and the accounts search,
 * with WebFinger when asked to resolve.
 */
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { accountId } from "../src/mastodon/ids";
import { actors, blocks, domainBlocks, mutes } from "../src/storage/schema";
import { api, db, linksOf, ownerAccountId, seedFollow, tick } from "./helpers";
import { registerApp, signIn } from "./support/oauth";
import { OWNER, RemoteActor } from "./support/remote";

/** A remote actor stored as the inbox would store it; its Mastodon id. */
async function seedActor(username: string, host: string, name = username) {
  const id = `https://${host}/users/${username}`;
  const [row] = await db()
    .insert(actors)
    .values({
      id,
      type: "Person",
      preferredUsername: username,
      domain: host,
      name,
      inbox: `${id}/inbox`,
      fetchedAt: tick(),
      createdAt: tick(),
    })
    .returning();
  if (row === undefined) throw new Error("actor not stored");
  return { iri: id, id: accountId(row) };
}

type Account = { id: string; acct: string; username: string };
type Relationship = Record<string, unknown> & { id: string };

async function json<T>(path: string): Promise<{ body: T; res: Response }> {
  const res = await api(path);
  expect(res.status, await res.clone().text()).toBe(200);
  return { body: (await res.json()) as T, res };
}

let owner: string;
let app: Awaited<ReturnType<typeof registerApp>>;
beforeAll(async () => {
  owner = await ownerAccountId();
  app = await registerApp();
});

describe("followers and following", () => {
  it("lists the owner's followers newest first, paged by the follow, requests left out", async () => {
    const fans = [];
    for (const n of [1, 2, 3]) {
      const fan = await seedActor(`fan${n}`, "lists-fans.test");
      await seedFollow(OWNER, fan.iri);
      fans.push(fan);
    }
    const asking = await seedActor("asking", "lists-fans.test");
    await seedFollow(OWNER, asking.iri, "pending");
    const first = await json<Account[]>(`/v1/accounts/${owner}/followers?limit=2`);
    expect(first.body.map((a) => a.username)).toEqual(["fan3", "fan2"]);
    const next = linksOf(first.res).next ?? "";
    expect(next).toContain("limit=2");
    const second = await json<Account[]>(next);
    expect(second.body.map((a) => a.username)).toEqual(["fan1"]);
    expect(linksOf(second.res).next).toBeUndefined();
    const back = await json<Account[]>(linksOf(second.res).prev ?? "");
    expect(back.body.map((a) => a.username)).toEqual(["fan3", "fan2"]);
  });

  it("shows of a remote account what is known: the follows between it and the owner", async () => {
    const followed = await seedActor("followed", "lists-remote.test");
    const follower = await seedActor("follower", "lists-remote.test");
    await seedFollow(followed.iri, OWNER);
    await seedFollow(OWNER, follower.iri);
    const ofFollowed = await json<Account[]>(`/v1/accounts/${followed.id}/followers`);
    expect(ofFollowed.body.map((a) => a.id)).toEqual([owner]);
    expect((await json<Account[]>(`/v1/accounts/${followed.id}/following`)).body).toEqual([]);
    const ofFollower = await json<Account[]>(`/v1/accounts/${follower.id}/following`);
    expect(ofFollower.body.map((a) => a.id)).toEqual([owner]);
    const mine = await json<Account[]>(`/v1/accounts/${owner}/following`);
    expect(mine.body.map((a) => a.acct)).toContain("followed@lists-remote.test");
  });

  it("refuses an unknown account (404), a malformed cursor (400), a token without read:accounts (403)", async () => {
    expect((await api("/v1/accounts/99999/followers")).status).toBe(404);
    expect((await api("/v1/accounts/99998/following")).status).toBe(404);
    expect((await api(`/v1/accounts/${owner}/followers?limit=-1`)).status).toBe(400);
    const token = await signIn(app, { scope: "read:follows", address: "10.32.0.1" });
    expect((await api(`/v1/accounts/${owner}/followers`, { token })).status).toBe(403);
  });
});

describe("relationships", () => {
  it("tells follows both ways, blocks, mutes (running ones) and blocked domains, in the order asked", async () => {
    const host = "lists-rel.test";
    const [a, b, c, d, e, f] = await Promise.all(
      ["a", "b", "c", "d", "e", "f"].map((n) =>
        seedActor(`rel${n}`, n === "f" ? "blocked.test" : host),
      ),
    );
    if (!(a && b && c && d && e && f)) throw new Error("actors not stored");
    await seedFollow(a.iri, OWNER); // the owner follows a
    await seedFollow(OWNER, a.iri, "pending"); // a asks to follow the owner
    await seedFollow(b.iri, OWNER, "pending"); // the owner asked b
    await seedFollow(OWNER, b.iri); // b follows the owner
    await db()
      .insert(blocks)
      .values({ actor: c.iri, activityId: `${OWNER}#blocks/1`, createdAt: tick() });
    await db().insert(mutes).values({ actor: d.iri, notifications: false, createdAt: tick() });
    await db()
      .insert(mutes)
      .values({ actor: e.iri, expiresAt: new Date(Date.now() - 1000), createdAt: tick() });
    await db().insert(domainBlocks).values({ domain: "blocked.test", createdAt: tick() });
    const query = [f, e, d, c, b, a].map((x) => `id[]=${x.id}`).join("&");
    const { body } = await json<Relationship[]>(
      `/v1/accounts/relationships?${query}&id[]=${owner}&id[]=77777&id[]=junk`,
    );
    expect(body.map((r) => r.id)).toEqual([f.id, e.id, d.id, c.id, b.id, a.id, owner]);
    const [rf, re, rd, rc, rb, ra, self] = body;
    expect(ra).toMatchObject({
      following: true,
      showing_reblogs: true,
      followed_by: false,
      requested_by: true,
    });
    expect(rb).toMatchObject({
      following: false,
      requested: true,
      followed_by: true,
      requested_by: false,
    });
    expect(rc).toMatchObject({ blocking: true, muting: false });
    expect(rd).toMatchObject({ muting: true, muting_notifications: false });
    expect(re).toMatchObject({ muting: false });
    expect(rf).toMatchObject({ domain_blocking: true, blocking: false });
    expect(self).toEqual({
      id: owner,
      following: false,
      showing_reblogs: false,
      notifying: false,
      languages: null,
      followed_by: false,
      blocking: false,
      blocked_by: false,
      muting: false,
      muting_notifications: false,
      requested: false,
      requested_by: false,
      domain_blocking: false,
      endorsed: false,
      note: "",
    });
    // One id as a plain parameter is read too; none is an empty list.
    expect((await json<Relationship[]>(`/v1/accounts/relationships?id=${a.id}`)).body).toHaveLength(
      1,
    );
    expect((await json<Relationship[]>("/v1/accounts/relationships")).body).toEqual([]);
  });

  it("refuses more than 80 accounts (422) and a token without read:follows (403)", async () => {
    const many = Array.from({ length: 81 }, (_, i) => `id[]=${1000 + i}`).join("&");
    const res = await api(`/v1/accounts/relationships?${many}`);
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: expect.stringMatching(/80/) });
    const token = await signIn(app, { scope: "read:accounts", address: "10.32.0.2" });
    expect((await api("/v1/accounts/relationships?id[]=1", { token })).status).toBe(403);
    const follows = await signIn(app, { scope: "follow", address: "10.32.0.3" });
    expect((await api("/v1/accounts/relationships?id[]=1", { token: follows })).status).toBe(200);
  });
});

describe("search", { timeout: 20_000 }, () => {
  beforeAll(async () => {
    const alice = await seedActor("alice", "search-a.test", "Alice Liddell");
    await seedActor("alicia", "search-b.test", "Alicia");
    await seedActor("bob", "search-a.test", "Bobby 100%");
    await seedActor("ali", "search-d.test", "Al");
    await seedFollow(alice.iri, OWNER);
  });
  const names = async (query: string) =>
    (await json<Account[]>(`/v1/accounts/search?${query}`)).body.map((a) => a.acct);

  it("finds stored accounts by username, name and handle, exact and followed first", async () => {
    expect(await names("q=ali")).toEqual([
      "ali@search-d.test",
      "alice@search-a.test",
      "alicia@search-b.test",
    ]);
    expect(await names("q=alicia")).toEqual(["alicia@search-b.test"]);
    expect(await names("q=@ali@search-b")).toEqual(["alicia@search-b.test"]);
    expect(await names("q=liddell")).toEqual(["alice@search-a.test"]);
    expect(await names("q=ali&following=true")).toEqual(["alice@search-a.test"]);
    expect(await names("q=ali&limit=1")).toEqual(["ali@search-d.test"]);
    expect(await names("q=ali&limit=1&offset=2")).toEqual(["alicia@search-b.test"]);
    // A display name matches by the start of any of its words.
    expect(await names("q=100")).toEqual(["bob@search-a.test"]);
    expect(await names("q=bobb")).toEqual(["bob@search-a.test"]);
    expect(await names("q=iddell")).toEqual([]);
    // Punctuation alone is no word to look for; query syntax typed is plain text.
    expect(await names("q=%25")).toEqual([]);
    expect(await names("q=_")).toEqual([]);
    expect(await names("q=")).toEqual([]);
    expect(await names(`q=${encodeURIComponent('ali" OR "bob')}`)).toEqual([]);
    expect(await names(`q=${encodeURIComponent("ali*")}`)).toHaveLength(3);
    expect(await names(`q=${"b".repeat(120)}`)).toEqual([]);
    expect(await names(`q=${encodeURIComponent("é".repeat(60))}`)).toEqual([]);
    // The owner is an account too.
    expect(await names("q=own")).toEqual(["owner"]);
  });

  it("follows an account's renaming and forgetting, whatever code writes them", async () => {
    const carl = await seedActor("carl", "search-e.test", "Carl Sagan");
    expect(await names("q=sagan")).toEqual(["carl@search-e.test"]);
    // An Update of the actor, as the inbox stores one (an upsert's update).
    await db()
      .insert(actors)
      .values({
        id: carl.iri,
        type: "Person",
        preferredUsername: "carl",
        domain: "search-e.test",
        name: "Carl Cosmos",
        inbox: `${carl.iri}/inbox`,
        fetchedAt: tick(),
        createdAt: tick(),
      })
      .onConflictDoUpdate({ target: actors.id, set: { name: "Carl Cosmos" } });
    expect(await names("q=sagan")).toEqual([]);
    expect(await names("q=cosmos")).toEqual(["carl@search-e.test"]);
    await db().delete(actors).where(eq(actors.id, carl.iri));
    expect(await names("q=cosmos")).toEqual([]);
    expect(await names("q=carl")).toEqual([]);
  });

  it("resolves a handle by WebFinger only when asked to", async () => {
    const dora = await RemoteActor.create({ host: "search-c.test", username: "dora" });
    await dora.serveWebFinger();
    expect(await names("q=dora@search-c.test")).toEqual([]);
    expect(await names("q=dora@search-c.test&resolve=true")).toEqual(["dora@search-c.test"]);
    // Stored now: found without resolving.
    expect(await names("q=dora")).toEqual(["dora@search-c.test"]);
    expect(await names("q=nobody@search-c.test&resolve=true")).toEqual([]);
  });

  it("never answers an account the owner does not follow with following=true, resolved or not", async () => {
    const eli = await RemoteActor.create({ host: "search-c.test", username: "eli" });
    await eli.serveWebFinger();
    expect(await names("q=eli@search-c.test&resolve=true&following=true")).toEqual([]);
    // Resolved (and stored) all the same: found without following=true.
    expect(await names("q=eli@search-c.test")).toEqual(["eli@search-c.test"]);
    expect(await names("q=alice@search-a.test&resolve=true&following=true")).toEqual([
      "alice@search-a.test",
    ]);
  });

  it("finds the owner by a handle on this instance, whatever its case, without WebFinger", async () => {
    for (const q of ["owner@outpost.test", "@Owner@OUTPOST.TEST", "own@outpost.test"]) {
      expect(await names(`q=${encodeURIComponent(q)}&resolve=true`), q).toEqual(["owner"]);
    }
    expect(await names("q=nobody@outpost.test&resolve=true")).toEqual([]);
    expect(await names("q=owner@outpost.test&following=true")).toEqual([]);
  });

  it("reads q, limit and offset as Mastodon does", async () => {
    // No q, or an empty one, finds nothing (Mastodon's service answers [] for a blank query).
    for (const query of ["", "q=", "q=%20%20"]) expect(await names(query), query).toEqual([]);
    // limit: its absolute value (Ruby's to_i), at most 80; 0 finds nothing.
    expect(await names("q=ali&limit=0")).toEqual([]);
    expect(await names("q=ali&limit=x")).toEqual([]);
    expect(await names("q=ali&limit=-1")).toEqual(["ali@search-d.test"]);
    expect(await names("q=ali&limit=2abc")).toHaveLength(2);
    expect(await names("q=ali&limit=100000000000000000000")).toHaveLength(3);
    expect(await names("q=ali&offset=x")).toHaveLength(3);
  });

  it("refuses a negative offset (422) and a token without read:accounts (403)", async () => {
    const res = await api("/v1/accounts/search?q=a&offset=-1");
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: "offset must be a whole number" });
    const token = await signIn(app, { scope: "read:follows", address: "10.32.0.4" });
    expect((await api("/v1/accounts/search?q=a", { token })).status).toBe(403);
  });
});
