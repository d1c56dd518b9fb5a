/**
 * The owner publishes; Fedify peers verify each delivery and receive exactly what the
 * addressing allows. Two actors behind one shared inbox get one POST per activity.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, eventually, ownerId, sleep } from "./outpost";
import { Peer } from "./peer";

describe("the owner publishes to peers", () => {
  let mastodon: Peer; // draft-cavage first, one follower
  let shared: Peer; // two followers behind one shared inbox
  let stranger: Peer; // follows nobody; only mentioned
  beforeAll(async () => {
    [mastodon, shared, stranger] = await Promise.all([
      Peer.start({ actors: [{ username: "alice" }] }),
      Peer.start({ firstKnock: "rfc9421", actors: [{ username: "bob" }, { username: "carol" }] }),
      Peer.start({ authorizedFetch: true, actors: [{ username: "dave" }] }),
    ]);
    await mastodon.follow("alice", ownerId);
    await shared.follow("bob", ownerId);
    await shared.follow("carol", ownerId);
    await eventually(
      () =>
        mastodon.followingState("alice", ownerId) === "accepted" &&
        shared.followingState("bob", ownerId) === "accepted" &&
        shared.followingState("carol", ownerId) === "accepted",
      { what: "the follows to be accepted" },
    );
  });
  afterAll(() => Promise.all([mastodon.close(), shared.close(), stranger.close()]));

  /** Publishes, waits for the deliveries to settle, and says which peers got the Create. */
  async function publish(status: string, visibility: string) {
    const posted = await api(`/api/v1/statuses`, { body: { status, visibility } });
    const deliveries = await eventually(
      async () => {
        const d = await api(`/api/v1/statuses/${posted.id}/deliveries`);
        const s = d.activities[0]?.summary;
        return s !== undefined && s.pending + s.retrying === 0 && d;
      },
      { what: "the deliveries to settle" },
    );
    const create = deliveries.activities[0].id as string;
    const creates = (peer: Peer) => peer.inbox("Create").filter((r) => r.id === create);
    return { posted, create, creates, deliveries };
  }

  it("a public note reaches every follower once per inbox, verified; not the stranger", async () => {
    const { create, creates, deliveries } = await publish("Hello, fediverse", "public");
    await eventually(() => creates(mastodon).length === 1 && creates(shared).length === 1, {
      what: "the Creates",
    });
    expect(deliveries.activities[0].summary.failed).toBe(0);
    // One POST to the shared inbox serves bob and carol.
    const posts = shared.log.filter((r) => r.method === "POST" && r.bodyId === create);
    expect(posts.map((p) => p.path)).toEqual(["/inbox"]);
    expect(creates(shared)[0]?.recipient).toBeNull();
    const note = creates(mastodon)[0]?.json.object as Record<string, unknown>;
    expect(note.to).toBe("as:Public");
    expect(note.cc).toBe(`${ownerId}/followers`);
    expect(creates(stranger)).toHaveLength(0);
  });

  it("a followers-only note reaches followers only, and is not public", async () => {
    const { creates } = await publish("Only for you", "private");
    await eventually(() => creates(mastodon).length === 1 && creates(shared).length === 1, {
      what: "the Creates",
    });
    const note = creates(shared)[0]?.json.object as Record<string, unknown>;
    expect(JSON.stringify([note.to, note.cc])).not.toContain("Public");
    expect(note.to).toBe(`${ownerId}/followers`);
    await sleep(500);
    expect(creates(stranger)).toHaveLength(0);
  });

  it("a direct note reaches only the mentioned actor, whose server refuses unsigned GETs", async () => {
    const { creates } = await publish(`@${stranger.handle("dave")} psst`, "direct");
    await eventually(() => creates(stranger).length === 1, { what: "the direct Create" });
    const note = creates(stranger)[0]?.json.object as Record<string, unknown>;
    expect(note.to).toBe(stranger.actorId("dave"));
    expect(note.cc).toBeUndefined();
    await sleep(500);
    expect(creates(mastodon)).toHaveLength(0);
    expect(creates(shared)).toHaveLength(0);
    // Outpost looked dave up with signed GETs, which the peer answered; unsigned ones fail.
    const gets = stranger.log.filter((r) => r.method === "GET" && r.path === "/users/dave");
    expect(gets.length).toBeGreaterThan(0);
    expect(gets.every((r) => r.signature !== "none" && r.status === 200)).toBe(true);
    expect(
      (await fetch(stranger.actorId("dave"), { headers: { accept: "application/activity+json" } }))
        .status,
    ).toBe(401);
  });

  it("an edit and a delete reach the followers as Update and Delete", async () => {
    const { posted, creates } = await publish("First draft", "public");
    await eventually(() => creates(mastodon).length === 1, { what: "the Create" });
    await api(`/api/v1/statuses/${posted.id}`, { method: "PUT", body: { status: "Second draft" } });
    const update = await eventually(
      () =>
        mastodon.inbox("Update").find((r) => (r.json.object as { id?: string }).id === posted.uri),
      { what: "the Update" },
    );
    expect((update.json.object as { content?: string }).content).toContain("Second draft");
    await api(`/api/v1/statuses/${posted.id}`, { method: "DELETE" });
    await eventually(
      () =>
        mastodon.inbox("Delete").some((r) => JSON.stringify(r.json.object).includes(posted.uri)),
      { what: "the Delete" },
    );
    await eventually(
      () => shared.inbox("Delete").some((r) => JSON.stringify(r.json.object).includes(posted.uri)),
      { what: "the Delete at the shared inbox" },
    );
  });
});
