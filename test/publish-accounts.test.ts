/** The owner's API: who may call it, the owner's account, and following others. */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { follows } from "../src/storage/schema";
import { api, db, fetchWithVars, OWNER_TOKEN } from "./helpers";
import { got, ownerFollowers } from "./support/publish";
import { eventually, ORIGIN, OWNER, RemoteActor } from "./support/remote";

const TOKEN = OWNER_TOKEN;

// Three followers, whom verify_credentials counts; on hosts of their own, apart from the other
// files' (the fake fediverse is one for all).
await ownerFollowers({ shared: "pub-acc-a.test", own: "pub-acc-b.test" });

describe("owner routes", () => {
  it.each([
    ["GET", "/v1/accounts/verify_credentials"],
    ["POST", "/v1/statuses"],
    ["GET", "/v1/statuses/1"],
    ["PUT", "/v1/statuses/1"],
    ["DELETE", "/v1/statuses/1"],
    ["POST", "/v1/statuses/1/favourite"],
    ["POST", "/v1/statuses/1/unfavourite"],
    ["POST", "/v1/statuses/1/reblog"],
    ["POST", "/v1/statuses/1/unreblog"],
    ["GET", "/v1/statuses/1/deliveries"],
    ["GET", "/v1/accounts/lookup?acct=cid@pub-c.test"],
    ["GET", "/v1/accounts/1"],
    ["POST", "/v1/accounts/1/follow"],
    ["POST", "/v1/accounts/1/unfollow"],
  ])("%s %s refuses a missing or wrong token", async (method, path) => {
    for (const token of [null, "wrong", `${TOKEN}x`]) {
      const res = await api(path, { method, token });
      expect(res.status).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
      expect(await res.json()).toEqual({ error: expect.any(String) });
    }
  });

  it("refuses that token once the instance has no OWNER_TOKEN (apps' tokens still work)", async () => {
    const res = await fetchWithVars(
      { OWNER_TOKEN: "" },
      `${ORIGIN}/api/v1/accounts/verify_credentials`,
      {
        headers: { Authorization: `Bearer ${TOKEN}` },
      },
    );
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "The access token is invalid" });
  });

  it("verify_credentials answers the owner's account", async () => {
    const res = await api("/v1/accounts/verify_credentials");
    expect(res.status).toBe(200);
    const account = (await res.json()) as { id: string; created_at: string };
    expect(account).toMatchObject({
      username: "owner",
      acct: "owner",
      uri: OWNER,
      followers_count: 3,
    });
    // A Mastodon-shaped id: the time the owner was created, low bits 0; it answers the owner.
    expect(BigInt(account.id)).toBe(BigInt(Date.parse(account.created_at)) << 16n);
    expect(await (await api(`/v1/accounts/${account.id}`)).json()).toEqual(
      expect.objectContaining({ id: account.id, uri: OWNER }),
    );
    // The id of old is no longer one.
    expect((await api("/v1/accounts/owner")).status).toBe(404);
  });
});

describe("following", { timeout: 20_000 }, () => {
  it("lookup finds an account through WebFinger; follow sends Follow; Accept makes it a follow; unfollow undoes", async () => {
    const dot = await RemoteActor.create({ host: "pub-d.test", username: "dot" });
    await dot.serveWebFinger();
    const found = await api("/v1/accounts/lookup?acct=dot@pub-d.test");
    expect(found.status).toBe(200);
    const account = (await found.json()) as { id: string; acct: string };
    expect(account.acct).toBe("dot@pub-d.test");
    expect(BigInt(account.id) % 2n).toBe(1n);
    expect(await (await api(`/v1/accounts/${account.id}`)).json()).toMatchObject({
      id: account.id,
      acct: "dot@pub-d.test",
    });
    const rel = await api(`/v1/accounts/${account.id}/follow`, { method: "POST" });
    expect(await rel.json()).toMatchObject({ id: account.id, following: false, requested: true });
    const [follow] = await eventually(async () => {
      const f = await got(dot.inbox, "Follow", dot.id);
      return f.length > 0 ? f : undefined;
    });
    expect(follow).toMatchObject({ actor: OWNER, object: dot.id });
    // dot accepts.
    await dot.send(dot.activity("Accept", follow));
    expect((await db().select().from(follows).where(eq(follows.actor, dot.id)))[0]?.state).toBe(
      "accepted",
    );
    const unfollowed = await api(`/v1/accounts/${account.id}/unfollow`, { method: "POST" });
    expect(await unfollowed.json()).toMatchObject({ following: false, requested: false });
    const [undo] = await eventually(async () => {
      const u = await got(dot.inbox, "Undo", dot.id);
      return u.length > 0 ? u : undefined;
    });
    expect(undo).toMatchObject({ object: { type: "Follow", id: follow?.id, object: dot.id } });
  });

  it("lookup answers 400 for a malformed acct and 404 for an unknown one", async () => {
    expect((await api("/v1/accounts/lookup")).status).toBe(400);
    expect((await api("/v1/accounts/lookup?acct=nonsense")).status).toBe(400);
    expect((await api("/v1/accounts/lookup?acct=nobody@pub-d.test")).status).toBe(404);
    expect((await api("/v1/accounts/999999/follow", { method: "POST" })).status).toBe(404);
  });
});
