import { describe, expect, it } from "vitest";
import { AP, BROWSER, get, getJson, LD, ORIGIN, OWNER, request, seedNote } from "./helpers";

type Actor = Record<string, unknown> & {
  publicKey: { id: string; owner: string; publicKeyPem: string };
  endpoints: { sharedInbox: string };
};

describe("the owner's actor", () => {
  it("serves the same JSON to both ActivityPub media types, with an ActivityPub content type", async () => {
    const [ap, ld] = await Promise.all([get("/users/owner", AP), get("/users/owner", LD)]);
    for (const res of [ap, ld]) {
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toBe("application/activity+json; charset=utf-8");
      expect(res.headers.get("Vary")).toMatch(/Accept/);
    }
    expect(await ap.json()).toEqual(await ld.json());
  });

  it("has every field Mastodon reads", async () => {
    const actor = await getJson<Actor>("/users/owner");
    expect(actor).toMatchObject({
      id: OWNER,
      type: "Person",
      inbox: `${OWNER}/inbox`,
      outbox: `${OWNER}/outbox`,
      followers: `${OWNER}/followers`,
      following: `${OWNER}/following`,
      featured: `${OWNER}/featured`,
      preferredUsername: "owner",
      name: "Outpost owner",
      summary: "",
      url: `${ORIGIN}/@owner`,
      manuallyApprovesFollowers: false,
      discoverable: true,
      indexable: false,
      publicKey: { id: `${OWNER}#main-key`, owner: OWNER },
      endpoints: { sharedInbox: `${ORIGIN}/inbox` },
      tag: [],
      attachment: [],
    });
    expect(actor["@context"]).toContain("https://www.w3.org/ns/activitystreams");
    expect(actor["@context"]).toContain("https://w3id.org/security/v1");
    expect(Date.parse(String(actor.published))).not.toBeNaN();
  });

  it("publishes an RSA-2048 SPKI public key that verifies what the key signs", async () => {
    const { publicKey } = await getJson<Actor>("/users/owner");
    const pem = publicKey.publicKeyPem;
    expect(pem).toMatch(
      /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PUBLIC KEY-----\n$/,
    );
    const der = Uint8Array.from(atob(pem.replace(/-----[A-Z ]+-----|\n/g, "")), (ch) =>
      ch.charCodeAt(0),
    );
    const key = await crypto.subtle.importKey(
      "spki",
      der,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      true,
      ["verify"],
    );
    expect((key.algorithm as { modulusLength?: number }).modulusLength).toBe(2048);
  });

  it("gives browsers the HTML profile page, linked to the JSON", async () => {
    for (const accept of [BROWSER, "text/html", "*/*", undefined]) {
      const res = await get("/users/owner", accept);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
      const page = await res.text();
      expect(page).toContain("<h1>Outpost owner</h1>");
      expect(page).toContain("@owner@outpost.test");
      expect(page).toContain(
        `<link rel="alternate" type="application/activity+json" href="${OWNER}">`,
      );
    }
  });

  it("shows public posts on the profile page, escaping nothing it should not", async () => {
    await seedNote({ content: "<p>hello from the profile</p>" });
    await seedNote({ content: "<p>followers only</p>", visibility: "private" });
    const page = await (await get("/@owner", BROWSER)).text();
    expect(page).toContain("<p>hello from the profile</p>");
    expect(page).not.toContain("followers only");
  });

  it("prefers JSON when a server lists both with equal weight, HTML when it weighs HTML higher", async () => {
    const both = await get("/users/owner", "application/activity+json, text/html");
    expect(both.headers.get("Content-Type")).toMatch(/activity\+json/);
    const html = await get("/users/owner", "application/activity+json;q=0.5, text/html");
    expect(html.headers.get("Content-Type")).toMatch(/^text\/html/);
  });

  it("answers HEAD like GET, without a body", async () => {
    const res = await request("/users/owner", { method: "HEAD", headers: { Accept: AP } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/activity\+json/);
    expect(await res.text()).toBe("");
  });

  it("has no other actors", async () => {
    for (const path of ["/users/nobody", "/users/Owner", "/@nobody"]) {
      const res = await get(path, AP);
      expect(res.status).toBe(404);
      expect(await res.json()).toHaveProperty("error");
    }
  });

  it("sends servers from the profile URL to the actor id", async () => {
    const res = await get("/@owner", AP);
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe(OWNER);
  });

  it("sends visitors of the home page to the profile", async () => {
    const res = await get("/", BROWSER);
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe(`${ORIGIN}/@owner`);
  });
});

describe("the instance actor", () => {
  it("is an Application with its own key, named after the host", async () => {
    const [instance, owner] = await Promise.all([
      getJson<Actor>("/actor"),
      getJson<Actor>("/users/owner"),
    ]);
    expect(instance).toMatchObject({
      id: `${ORIGIN}/actor`,
      type: "Application",
      preferredUsername: "outpost.test",
      inbox: `${ORIGIN}/inbox`,
      outbox: `${ORIGIN}/actor/outbox`,
      manuallyApprovesFollowers: true,
      publicKey: { id: `${ORIGIN}/actor#main-key`, owner: `${ORIGIN}/actor` },
    });
    expect(instance.publicKey.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(instance.publicKey.publicKeyPem).not.toBe(owner.publicKey.publicKeyPem);
  });

  it("sends browsers to the owner's profile", async () => {
    const res = await get("/actor", BROWSER);
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe(`${ORIGIN}/@owner`);
  });
});
