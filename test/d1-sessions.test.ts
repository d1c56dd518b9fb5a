/**
 * D1 read replication: a request reads D1 through a session started by who is asking. The
 * owner (a token or a cookie) and every write start at the primary and are given the
 * session's bookmark; a client sending it back reads from any replica at least that fresh;
 * anonymous reads go to the nearest replica and carry no bookmark. (Locally there is one
 * database, so what is shown here is the choice and the bookmark's round trip, not a lag.)
 */
import { describe, expect, it } from "vitest";
import { sessionStart } from "../src/http/middleware/context";
import { api, get, OWNER, request } from "./helpers";

const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;

const start = (init: RequestInit) => sessionStart(new Request("https://outpost.test/x", init));

describe("where a request's D1 session starts", () => {
  it("an anonymous read may go to any replica", () => {
    expect(start({ method: "GET" })).toBe("first-unconstrained");
    expect(start({ method: "HEAD" })).toBe("first-unconstrained");
    // A signed fetch by another server is anonymous: its signature changes nothing read.
    expect(start({ headers: { Signature: 'keyId="https://remote.test/a#k"' } })).toBe(
      "first-unconstrained",
    );
  });

  it("the owner and every write start at the primary", () => {
    expect(start({ headers: { Authorization: "Bearer t" } })).toBe("first-primary");
    expect(start({ headers: { Cookie: "__Host-outpost_session=x" } })).toBe("first-primary");
    expect(start({ method: "POST" })).toBe("first-primary");
    expect(start({ method: "DELETE" })).toBe("first-primary");
  });

  it("a bookmark sent back is where the session starts; anything else in its header is not", () => {
    const bookmark = "00000000-0000002a-00000000-00000000000000000000000000000000";
    expect(start({ headers: { "x-d1-bookmark": bookmark } })).toEqual({ bookmark });
    for (const bad of ["first-primary", "garbage", `${bookmark}0`, bookmark.toUpperCase(), ""]) {
      expect(start({ headers: { "x-d1-bookmark": bad } })).toBeUndefined();
    }
  });
});

describe("the bookmark", () => {
  it("is given to the owner, and read-your-writes holds when it is sent back", async () => {
    const posted = await api("/v1/statuses", { body: { status: "kept in order" } });
    expect(posted.status).toBe(200);
    const written = posted.headers.get("x-d1-bookmark");
    expect(written).toMatch(BOOKMARK);
    const { id } = (await posted.json()) as { id: string };

    const read = await api(`/v1/statuses/${id}`, { headers: { "x-d1-bookmark": written ?? "" } });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { id: string }).id).toBe(id);
    // The session went on from the bookmark: it is never behind what it was given.
    const after = read.headers.get("x-d1-bookmark") ?? "";
    expect(after).toMatch(BOOKMARK);
    expect(after >= (written ?? "")).toBe(true);
  });

  it("is not given to anonymous readers, whose answers may be cached", async () => {
    const res = await get(new URL(OWNER).pathname, "application/activity+json");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-d1-bookmark")).toBeNull();
  });

  it("is readable by web apps on other origins", async () => {
    const res = await api("/v1/accounts/verify_credentials", {
      headers: { Origin: "https://elk.example" },
    });
    expect(res.status).toBe(200);
    const exposed = (res.headers.get("Access-Control-Expose-Headers") ?? "").toLowerCase();
    expect(exposed.split(",").map((s) => s.trim())).toContain("x-d1-bookmark");
  });

  it("a malformed one is refused with 400, before anything is read or written", async () => {
    const res = await request("/api/v1/statuses", {
      method: "POST",
      headers: {
        Authorization: "Bearer test-owner-token",
        "Content-Type": "application/json",
        "x-d1-bookmark": "not-a-bookmark",
      },
      body: JSON.stringify({ status: "never stored" }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "x-d1-bookmark is not a D1 bookmark" });
    const home = await api("/v1/timelines/home");
    const texts = ((await home.json()) as { content: string }[]).map((s) => s.content);
    expect(texts.some((t) => t.includes("never stored"))).toBe(false);
  });
});
