/**
 * The owner publishes; Fedify peers verify each delivery and receive exactly what the
 * addressing allows. Two actors behind one shared inbox get one POST per activity.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, eventually, followOwner, ownerId } from "./outpost";
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
    await followOwner(mastodon, "alice");
    await followOwner(shared, "bob");
    await followOwner(shared, "carol");
  });
  afterAll(() => Promise.all([mastodon.close(), shared.close(), stranger.close()]));

  /**
   * Publishes, and waits until its Create has been delivered everywhere it is going: the
   * hosts it went to, and which of the peers' inboxes got it.
   */
  async function publish(status: string, visibility: string) {
    const posted = await api(`/api/v1/statuses`, { body: { status, visibility } });
    const create = await eventually(
      async () => {
        const d = await api(`/api/v1/statuses/${posted.id}/deliveries`);
        const activity = d.activities.find((a: { type: string }) => a.type === "Create");
        const hosts = (activity?.hosts ?? []) as { host: string; state: string }[];
        const settled = hosts.length > 0 && hosts.every((h) => h.state === "delivered");
        return settled && { id: activity.id as string, hosts: hosts.map((h) => h.host).sort() };
      },
      { what: "the deliveries to settle" },
    );
    await Promise.all([mastodon.idle(), shared.idle(), stranger.idle()]);
    const creates = (peer: Peer) => peer.inbox("Create").filter((r) => r.id === create.id);
    return { posted, create, creates };
  }

  /** POSTs of an activity to the shared peer: one, to its shared inbox, serves bob and carol. */
  const postsToShared = (activityId: string) =>
    shared.log.filter((r) => r.method === "POST" && r.bodyId === activityId).map((r) => r.path);

  it("a public note reaches every follower once per inbox, verified; not the stranger", async () => {
    const { create, creates } = await publish("Hello, fediverse", "public");
    expect(create.hosts).toEqual([mastodon.host, shared.host].sort());
    expect(creates(mastodon)).toHaveLength(1);
    expect(creates(shared)).toHaveLength(1);
    expect(postsToShared(create.id)).toEqual(["/inbox"]);
    expect(creates(shared)[0]?.recipient).toBeNull();
    const note = creates(mastodon)[0]?.json.object as Record<string, unknown>;
    expect(note.to).toBe("as:Public");
    expect(note.cc).toBe(`${ownerId}/followers`);
    expect(creates(stranger)).toHaveLength(0);
  });

  it("a followers-only note reaches followers only, and is not public", async () => {
    const { create, creates } = await publish("Only for you", "private");
    expect(create.hosts).toEqual([mastodon.host, shared.host].sort());
    expect(creates(mastodon)).toHaveLength(1);
    expect(postsToShared(create.id)).toEqual(["/inbox"]);
    const note = creates(shared)[0]?.json.object as Record<string, unknown>;
    expect(JSON.stringify([note.to, note.cc])).not.toContain("Public");
    expect(note.to).toBe(`${ownerId}/followers`);
    expect(creates(stranger)).toHaveLength(0);
  });

  it("a direct note reaches only the mentioned actor, whose server refuses unsigned GETs", async () => {
    const { create, creates } = await publish(`@${stranger.handle("dave")} psst`, "direct");
    expect(create.hosts).toEqual([stranger.host]);
    expect(creates(stranger)).toHaveLength(1);
    const note = creates(stranger)[0]?.json.object as Record<string, unknown>;
    expect(note.to).toBe(stranger.actorId("dave"));
    expect(note.cc).toBeUndefined();
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

  it("an edit and a delete reach the followers as Update and Delete, once per inbox", async () => {
    const { posted } = await publish("First draft", "public");
    await api(`/api/v1/statuses/${posted.id}`, { method: "PUT", body: { status: "Second draft" } });
    const about = (type: string) => (peer: Peer) =>
      peer.inbox(type).filter((r) => JSON.stringify(r.json.object).includes(posted.uri));
    /** Waits for one `type` about the note at each follower's peer; the shared peer's. */
    const reachedBoth = (type: string) =>
      eventually(
        () =>
          about(type)(mastodon).length === 1 &&
          about(type)(shared).length === 1 &&
          about(type)(shared),
        { what: `the ${type}s` },
      );
    const [update] = await reachedBoth("Update");
    expect(update?.json.object).toMatchObject({ content: expect.stringContaining("Second draft") });

    await api(`/api/v1/statuses/${posted.id}`, { method: "DELETE" });
    const [deleted] = await reachedBoth("Delete");
    await shared.idle();
    expect(postsToShared(update?.id ?? "")).toEqual(["/inbox"]);
    expect(postsToShared(deleted?.id ?? "")).toEqual(["/inbox"]);
    expect(about("Update")(stranger)).toHaveLength(0);
  });
});
