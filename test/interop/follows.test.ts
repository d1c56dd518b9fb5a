/**
 * Follows, both ways, between Outpost and Fedify peers over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, eventually, followOwner, items, ownerId, sleep, total } from "./outpost";
import { Peer } from "./peer";

describe("a peer follows the owner", () => {
  let peer: Peer;
  beforeAll(async () => {
    peer = await Peer.start({
      firstKnock: "draft-cavage-http-signatures-12",
      actors: [{ username: "alice" }],
    });
  });
  afterAll(() => peer.close());

  it("gets a verified Accept; a repeated Follow changes nothing; Undo(Follow) removes it", async () => {
    const alice = peer.actorId("alice");
    expect(await total("followers")).toBe(0);

    const follow = await followOwner(peer, "alice");
    const [accept] = peer.inbox("Accept");
    expect(accept?.json.actor).toBe(ownerId);
    // The Follow is embedded, so that the follower need not look it up.
    expect(accept?.json.object).toMatchObject({ id: follow, type: "Follow", actor: alice });
    expect(await total("followers")).toBe(1);
    expect(await items("followers")).toEqual([alice]);

    // Mastodon sends a new Follow when a user follows again: nothing changes but the answer.
    await peer.follow("alice", ownerId);
    await eventually(() => peer.inbox("Accept").length === 2, { what: "the second Accept" });
    expect(await total("followers")).toBe(1);

    await peer.undo("alice", follow, ownerId);
    await eventually(async () => (await total("followers")) === 0, { what: "the unfollow" });
    expect(await items("followers")).toEqual([]);
  });
});

describe("the owner follows an open and a locked peer", () => {
  let open: Peer;
  let locked: Peer;
  beforeAll(async () => {
    [open, locked] = await Promise.all([
      Peer.start({ actors: [{ username: "olive" }] }),
      Peer.start({ firstKnock: "rfc9421", actors: [{ username: "lara", locked: true }] }),
    ]);
  });
  afterAll(() => Promise.all([open.close(), locked.close()]));

  const follow = async (peer: Peer, username: string) => {
    const account = await api(`/api/v1/accounts/lookup?acct=${peer.handle(username)}`);
    return {
      account,
      relationship: await api(`/api/v1/accounts/${account.id}/follow`, { body: {} }),
    };
  };

  it("the open peer accepts (following shows it); the locked one stays requested", async () => {
    const olive = await follow(open, "olive");
    const lara = await follow(locked, "lara");
    expect(lara.account.locked).toBe(true);

    // Each peer received one verified Follow from the owner.
    await eventually(
      () => open.inbox("Follow").length === 1 && locked.inbox("Follow").length === 1,
      {
        what: "the Follows",
      },
    );
    expect(open.followersOf("olive")).toEqual([ownerId]);
    expect(locked.pendingFollowers("lara")).toEqual([ownerId]);

    await eventually(async () => (await items("following")).includes(open.actorId("olive")), {
      what: "the Accept to land",
    });
    // Following again is idempotent (nothing is sent) and answers the relationship.
    const relationship = (id: string) => api(`/api/v1/accounts/${id}/follow`, { body: {} });
    expect((await relationship(olive.account.id)).following).toBe(true);
    const laraNow = await relationship(lara.account.id);
    expect(laraNow.following).toBe(false);
    expect(laraNow.requested).toBe(true);
    await sleep(1_500);
    await Promise.all([open.idle(), locked.idle()]);
    expect(open.inbox("Follow")).toHaveLength(1);
    expect(locked.inbox("Follow")).toHaveLength(1);
    expect(await items("following")).not.toContain(locked.actorId("lara"));

    // Approved later: following shows it too.
    await locked.acceptFollower("lara", ownerId);
    await eventually(async () => (await items("following")).includes(locked.actorId("lara")), {
      what: "the late Accept",
    });
  });

  it("an unfollow reaches the peer as Undo(Follow)", async () => {
    const account = await api(`/api/v1/accounts/lookup?acct=${open.handle("olive")}`);
    const relationship = await api(`/api/v1/accounts/${account.id}/unfollow`, { body: {} });
    expect(relationship.following).toBe(false);
    await eventually(() => open.followersOf("olive").length === 0, { what: "the Undo" });
    const [undo] = open.inbox("Undo");
    expect(undo?.json.actor).toBe(ownerId);
    expect(await items("following")).not.toContain(open.actorId("olive"));
  });
});
