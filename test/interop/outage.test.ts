/**
 * A peer goes down while the owner posts: its deliveries back off, then park behind the
 * circuit breaker; when it comes back, each arrives once, in the order it was published.
 * The instance runs with DEV_RETRY_BASE_MS=500 (see setup.ts), so this takes seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, eventually, followOwner, sleep } from "./outpost";
import { Peer } from "./peer";

describe("a peer that goes down and comes back", () => {
  let peer: Peer;
  beforeAll(async () => {
    peer = await Peer.start({ actors: [{ username: "kim" }] });
    await followOwner(peer, "kim");
  });
  afterAll(() => peer.close());

  /** The Create of a status and its delivery state at the peer's host. */
  async function deliveryOf(statusId: string) {
    const { activities } = await api(`/api/v1/statuses/${statusId}/deliveries`);
    const create = activities.find((a: { type: string }) => a.type === "Create");
    const host = create?.hosts.find((h: { host: string }) => h.host === peer.host);
    return { id: create?.id as string, state: host?.state as string | undefined };
  }

  it("parks its deliveries, then gets each once, in order", { timeout: 240_000 }, async () => {
    await peer.down();
    const statuses: { id: string }[] = [];
    for (const text of ["first", "second", "third"]) {
      statuses.push(await api("/api/v1/statuses", { body: { status: text } }));
    }
    const creates = await eventually(
      async () => {
        const all = await Promise.all(statuses.map((s) => deliveryOf(s.id)));
        return all.every((d) => d.state === "parked") && all.map((d) => d.id);
      },
      { timeout: 60_000, what: "the three deliveries to be parked" },
    );

    await peer.up();
    // A try that failed just before the host came back: the open circuit waits up to ~64 s.
    await eventually(() => creates.every((id) => peer.acceptedPosts(id).length > 0), {
      timeout: 120_000,
      what: "the parked deliveries to arrive",
    });
    await sleep(1_500);
    const arrived = peer.log
      .filter((r) => r.method === "POST" && creates.includes(r.bodyId ?? ""))
      .map((r) => [r.bodyId, r.status]);
    expect(arrived).toEqual(creates.map((id) => [id, 202]));
    expect(peer.inbox("Create").map((r) => r.id)).toEqual(creates);
    for (const s of statuses) expect((await deliveryOf(s.id)).state).toBe("delivered");
  });
});
