/** Follow, Undo(Follow), Accept and Reject of the owner's requests, Block. */
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { follows, outbox } from "../src/storage/schema";
import { db, getJson, seedFollow } from "./helpers";
import { deliveriesAt, eventually, OWNER, RemoteActor } from "./support/remote";

const edge = async (actor: string, follower: string) =>
  (
    await db()
      .select()
      .from(follows)
      .where(and(eq(follows.actor, actor), eq(follows.follower, follower)))
  )[0];

/** What reached the actor's inbox from the owner, signatures checked (the Accepts). */
const acceptsAt = (actor: RemoteActor) => deliveriesAt(actor.inbox);

describe("Follow", () => {
  it("is accepted at once, and a signed Accept reaches the follower's inbox", async () => {
    const alice = await RemoteActor.create({ host: "follow.test", username: "alice" });
    const follow = alice.activity("Follow", OWNER);
    expect((await alice.send(follow)).status).toBe(202);
    expect(await edge(OWNER, alice.id)).toMatchObject({ state: "accepted", activityId: follow.id });
    const [accept] = await eventually(async () => {
      const accepts = await acceptsAt(alice);
      return accepts.length > 0 ? accepts : undefined;
    });
    expect(accept).toMatchObject({
      "@context": expect.anything(),
      type: "Accept",
      actor: OWNER,
      object: { id: follow.id, type: "Follow", actor: alice.id, object: OWNER },
    });
    // The Accept is stored, so that it can be fetched and redelivered with the same id.
    const [row] = await db()
      .select()
      .from(outbox)
      .where(eq(outbox.id, String(accept?.id)));
    expect(row?.type).toBe("Accept");
    expect((await getJson<{ totalItems: number }>("/users/owner/followers")).totalItems).toBe(1);
  });

  it("followed again keeps one edge and answers with another Accept", async () => {
    const bob = await RemoteActor.create({ host: "follow.test", username: "bob" });
    await bob.send(bob.activity("Follow", OWNER));
    await eventually(async () => (await acceptsAt(bob)).length === 1);
    const again = bob.activity("Follow", OWNER);
    expect((await bob.send(again)).status).toBe(202);
    await eventually(async () => (await acceptsAt(bob)).length === 2);
    expect(await edge(OWNER, bob.id)).toMatchObject({ state: "accepted", activityId: again.id });
  });

  it("stays pending, with no Accept, when the owner approves followers by hand", async () => {
    const carol = await RemoteActor.create({ host: "locked.follow.test", username: "carol" });
    const vars = { OWNER_MANUALLY_APPROVES_FOLLOWERS: "true" };
    expect((await carol.send(carol.activity("Follow", OWNER), { vars })).status).toBe(202);
    expect(await edge(OWNER, carol.id)).toMatchObject({ state: "pending" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await acceptsAt(carol)).toEqual([]);
  });

  it("that was pending is accepted when repeated after the owner stopped approving by hand", async () => {
    const olivia = await RemoteActor.create({ host: "locked.follow.test", username: "olivia" });
    await olivia.send(olivia.activity("Follow", OWNER), {
      vars: { OWNER_MANUALLY_APPROVES_FOLLOWERS: "true" },
    });
    expect(await edge(OWNER, olivia.id)).toMatchObject({ state: "pending" });
    await olivia.send(olivia.activity("Follow", OWNER));
    expect(await edge(OWNER, olivia.id)).toMatchObject({
      state: "accepted",
      acceptedAt: expect.any(Date),
    });
    await eventually(async () => (await acceptsAt(olivia)).length === 1);
  });

  it("of someone else is ignored", async () => {
    const dave = await RemoteActor.create({ host: "follow.test", username: "dave" });
    expect((await dave.send(dave.activity("Follow", "https://other.test/users/x"))).status).toBe(
      202,
    );
    expect(await edge("https://other.test/users/x", dave.id)).toBeUndefined();
  });
});

describe("Undo(Follow)", () => {
  it("removes the edge, with the Follow embedded or named by id", async () => {
    const erin = await RemoteActor.create({ host: "undo.follow.test", username: "erin" });
    const follow = erin.activity("Follow", OWNER);
    await erin.send(follow);
    expect(await edge(OWNER, erin.id)).toBeDefined();
    expect((await erin.send(erin.activity("Undo", follow))).status).toBe(202);
    expect(await edge(OWNER, erin.id)).toBeUndefined();

    const second = erin.activity("Follow", OWNER);
    await erin.send(second);
    expect(await edge(OWNER, erin.id)).toBeDefined();
    expect((await erin.send(erin.activity("Undo", second.id))).status).toBe(202);
    expect(await edge(OWNER, erin.id)).toBeUndefined();
  });

  it("cannot undo someone else's follow", async () => {
    const frank = await RemoteActor.create({ host: "undo.follow.test", username: "frank" });
    const grace = await RemoteActor.create({ host: "undo.follow.test", username: "grace" });
    const follow = frank.activity("Follow", OWNER);
    await frank.send(follow);
    await grace.send(grace.activity("Undo", follow));
    await grace.send(grace.activity("Undo", follow.id));
    expect(await edge(OWNER, frank.id)).toBeDefined();
  });
});

describe("Accept and Reject of the owner's follow requests", () => {
  it("Accept turns the owner's pending request into a follow", async () => {
    const heidi = await RemoteActor.create({ host: "accept.test", username: "heidi" });
    await seedFollow(heidi.id, OWNER, "pending");
    const follow = { id: `${OWNER}#follows/1`, type: "Follow", actor: OWNER, object: heidi.id };
    expect((await heidi.send(heidi.activity("Accept", follow))).status).toBe(202);
    expect(await edge(heidi.id, OWNER)).toMatchObject({ state: "accepted" });
    expect(
      (await getJson<{ orderedItems: string[] }>("/users/owner/following?page=true")).orderedItems,
    ).toContain(heidi.id);
  });

  it("only the followed account can accept, and Reject removes the request", async () => {
    const ivan = await RemoteActor.create({ host: "accept.test", username: "ivan" });
    const judy = await RemoteActor.create({ host: "accept.test", username: "judy" });
    await seedFollow(ivan.id, OWNER, "pending");
    await judy.send(judy.activity("Accept", { type: "Follow", actor: OWNER, object: ivan.id }));
    expect(await edge(ivan.id, OWNER)).toMatchObject({ state: "pending" });
    expect((await ivan.send(ivan.activity("Reject", `${OWNER}#follows/2`))).status).toBe(202);
    expect(await edge(ivan.id, OWNER)).toBeUndefined();
  });
});

describe("Block", () => {
  it("ends follows in both directions", async () => {
    const mike = await RemoteActor.create({ host: "block.test", username: "mike" });
    await seedFollow(mike.id, OWNER);
    await seedFollow(OWNER, mike.id);
    expect((await mike.send(mike.activity("Block", OWNER))).status).toBe(202);
    expect(await edge(mike.id, OWNER)).toBeUndefined();
    expect(await edge(OWNER, mike.id)).toBeUndefined();
  });
});
