import { Validator } from "@cfworker/json-schema";
import { describe, expect, it } from "vitest";
import schema20 from "./fixtures/nodeinfo/2.0.schema.json";
import schema21 from "./fixtures/nodeinfo/2.1.schema.json";
import { get, ORIGIN, OWNER, request, seedNote } from "./helpers";

const webfinger = (resource?: string, extra = "") =>
  get(
    `/.well-known/webfinger${resource === undefined ? "" : `?resource=${encodeURIComponent(resource)}`}${extra}`,
  );

describe("WebFinger", () => {
  it("answers acct:owner@host with the actor, as application/jrd+json with CORS *", async () => {
    const res = await webfinger("acct:owner@outpost.test");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/jrd\+json/);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(await res.json()).toEqual({
      subject: "acct:owner@outpost.test",
      aliases: [OWNER, `${ORIGIN}/@owner`],
      links: [
        { rel: "self", type: "application/activity+json", href: OWNER },
        {
          rel: "http://webfinger.net/rel/profile-page",
          type: "text/html",
          href: `${ORIGIN}/@owner`,
        },
      ],
    });
  });

  it.each([
    "acct:OWNER@Outpost.Test",
    "owner@outpost.test",
    "@owner@outpost.test",
    OWNER,
    `${ORIGIN}/@owner`,
  ])("finds the owner by %s", async (resource) => {
    const res = await webfinger(resource);
    expect(res.status).toBe(200);
    const jrd = (await res.json()) as { subject: string };
    expect(jrd.subject).toBe("acct:owner@outpost.test");
  });

  it("finds the instance actor by acct:<host>@<host> and by its URL", async () => {
    for (const resource of ["acct:outpost.test@outpost.test", `${ORIGIN}/actor`]) {
      const res = await webfinger(resource);
      expect(res.status).toBe(200);
      const jrd = (await res.json()) as { subject: string; links: { rel: string; href: string }[] };
      expect(jrd.subject).toBe("acct:outpost.test@outpost.test");
      expect(jrd.links.find((l) => l.rel === "self")?.href).toBe(`${ORIGIN}/actor`);
    }
  });

  it("keeps only the links asked for with rel", async () => {
    const res = await webfinger("acct:owner@outpost.test", "&rel=self");
    const jrd = (await res.json()) as { links: { rel: string }[] };
    expect(jrd.links.map((l) => l.rel)).toEqual(["self"]);
  });

  it("answers 400 with a JSON error for a missing resource", async () => {
    for (const res of [await webfinger(), await webfinger("")]) {
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: expect.stringMatching(/resource/) });
    }
  });

  it.each([
    "acct:owner",
    "acct:@outpost.test",
    "acct:owner@",
    "acct:ow ner@outpost.test",
    "acct:owner@outpost.test/path",
    "owner",
    "https://",
  ])("answers 400 for the malformed resource %s", async (resource) => {
    const res = await webfinger(resource);
    expect(res.status).toBe(400);
    expect(await res.json()).toHaveProperty("error");
  });

  it.each([
    "acct:nobody@outpost.test",
    "acct:owner@elsewhere.test",
    `${ORIGIN}/users/nobody`,
    "https://elsewhere.test/users/owner",
    "mailto:owner@outpost.test",
  ])("answers 404 for %s", async (resource) => {
    const res = await webfinger(resource);
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty("error");
  });

  it("answers a CORS preflight", async () => {
    const res = await request("/.well-known/webfinger", {
      method: "OPTIONS",
      headers: { Origin: "https://app.test", "Access-Control-Request-Method": "GET" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
  });
});

describe("host-meta", () => {
  it("points at WebFinger with an lrdd template, as XRD", async () => {
    const res = await get("/.well-known/host-meta");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/xrd\+xml/);
    const xml = await res.text();
    expect(xml).toContain('<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">');
    expect(xml).toContain(
      `<Link rel="lrdd" type="application/jrd+json" template="${ORIGIN}/.well-known/webfinger?resource={uri}"/>`,
    );
  });
});

describe("NodeInfo", () => {
  it("links the 2.0 and 2.1 documents", async () => {
    const res = await get("/.well-known/nodeinfo");
    expect(res.status).toBe(200);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(await res.json()).toEqual({
      links: [
        { rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", href: `${ORIGIN}/nodeinfo/2.0` },
        { rel: "http://nodeinfo.diaspora.software/ns/schema/2.1", href: `${ORIGIN}/nodeinfo/2.1` },
      ],
    });
  });

  it.each([
    ["2.0", schema20],
    ["2.1", schema21],
  ] as const)(
    "serves a %s document that validates against the official schema",
    async (version, schema) => {
      const res = await get(`/nodeinfo/${version}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toBe(
        `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/${version}#"`,
      );
      const doc = (await res.json()) as Record<string, unknown>;
      const result = new Validator(schema as object, "4").validate(doc);
      expect(result.errors).toEqual([]);
      expect(result.valid).toBe(true);
      expect(doc).toMatchObject({
        version,
        software: { name: "outpost" },
        protocols: ["activitypub"],
        openRegistrations: false,
        usage: { users: { total: 1 } },
      });
    },
  );

  it("counts local posts, without deleted ones", async () => {
    const before = (await (await get("/nodeinfo/2.1")).json()) as { usage: { localPosts: number } };
    await seedNote();
    await seedNote({ visibility: "private" });
    await seedNote({ deleted: true });
    const after = (await (await get("/nodeinfo/2.1")).json()) as { usage: { localPosts: number } };
    expect(after.usage.localPosts).toBe(before.usage.localPosts + 2);
  });

  it("has no document for other versions", async () => {
    expect((await get("/nodeinfo/1.0")).status).toBe(404);
  });
});
