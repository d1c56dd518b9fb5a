/**
 * Signature formats and authorized fetch, both ways: what Fedify sends first is accepted,
 * what Outpost sends is verified by Fedify, and a server that wants RFC 9421 gets it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, eventually, followOwner, origin } from "./outpost";
import { Peer } from "./peer";

describe("signatures between Outpost and Fedify", () => {
  let cavage: Peer;
  let rfc9421: Peer;
  let strict: Peer;
  beforeAll(async () => {
    [cavage, rfc9421, strict] = await Promise.all([
      Peer.start({ firstKnock: "draft-cavage-http-signatures-12", actors: [{ username: "hana" }] }),
      Peer.start({ firstKnock: "rfc9421", actors: [{ username: "ivan" }] }),
      Peer.start({ rfc9421Only: true, authorizedFetch: true, actors: [{ username: "jo" }] }),
    ]);
  });
  afterAll(() => Promise.all([cavage.close(), rfc9421.close(), strict.close()]));

  it("takes each peer's first knock: draft-cavage from one, RFC 9421 from the other", async () => {
    await followOwner(cavage, "hana");
    await followOwner(rfc9421, "ivan");
    // Fedify remembers the format a server took; it keeps the first one only if it worked.
    expect(await cavage.signatureSpecFor(origin)).toBe("draft-cavage-http-signatures-12");
    expect(await rfc9421.signatureSpecFor(origin)).toBe("rfc9421");
  });

  it("signs its deliveries so that Fedify verifies them (the Accepts above)", async () => {
    for (const peer of [cavage, rfc9421]) {
      await peer.idle();
      const accepts = peer.log.filter((r) => r.method === "POST");
      expect(accepts.length).toBeGreaterThan(0);
      expect(accepts.every((r) => r.status === 202 && r.signature !== "none")).toBe(true);
      expect(peer.inbox("Accept")).toHaveLength(1);
    }
  });

  it("knocks again with RFC 9421 when a server refuses draft-cavage, and remembers it", async () => {
    await followOwner(strict, "jo");
    await strict.idle();
    const posts = () => strict.log.filter((r) => r.method === "POST");
    // The Accept: refused with draft-cavage, then taken with RFC 9421.
    expect(posts().map((r) => [r.signature, r.status])).toEqual([
      ["cavage", 401],
      ["rfc9421", 202],
    ]);
    // What follows goes out in RFC 9421 at once.
    await api("/api/v1/statuses", { body: { status: "for a strict server" } });
    await eventually(() => strict.inbox("Create").length === 1, { what: "the Create" });
    await strict.idle();
    expect(
      posts()
        .slice(2)
        .map((r) => [r.signature, r.status]),
    ).toEqual([["rfc9421", 202]]);
  });

  it("fetches an authorized-fetch server's documents with signed GETs", async () => {
    const gets = strict.log.filter((r) => r.method === "GET" && r.path === "/users/jo");
    expect(gets.length).toBeGreaterThan(0);
    expect(gets.every((r) => r.signature !== "none" && r.status === 200)).toBe(true);
    const unsigned = await fetch(strict.actorId("jo"), {
      headers: { accept: "application/activity+json" },
    });
    expect(unsigned.status).toBe(401);
  });
});
