import { describe, expect, it } from "vitest";
import { outbox } from "../src/storage/schema";
import { AP, BROWSER, db, get, getJson, LD, ORIGIN, OWNER, PUBLIC, seedNote } from "./helpers";

describe("notes by id", () => {
  it("answers with the note, its id equal to the URL asked, to and cc and tags", async () => {
    const { id } = await seedNote({ content: "<p>hello #fediverse</p>", tags: ["fediverse"] });
    for (const accept of [AP, LD]) {
      const res = await get(id, accept);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toBe("application/activity+json; charset=utf-8");
      const note = (await res.json()) as Record<string, unknown>;
      expect(note).toMatchObject({
        id,
        type: "Note",
        attributedTo: OWNER,
        content: "<p>hello #fediverse</p>",
        to: [PUBLIC],
        cc: [`${OWNER}/followers`],
        sensitive: false,
        tag: [{ type: "Hashtag", name: "#fediverse", href: `${ORIGIN}/tags/fediverse` }],
      });
      expect(note["@context"]).toContain("https://www.w3.org/ns/activitystreams");
      expect(Date.parse(String(note.published))).not.toBeNaN();
    }
  });

  it("shows browsers an HTML page, with a content warning folded", async () => {
    const { id, slug } = await seedNote({ content: "<p>spoiler inside</p>", summary: "a CW" });
    for (const path of [id, `/@owner/${slug}`]) {
      const res = await get(path, BROWSER);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
      const page = await res.text();
      expect(page).toContain("<details><summary>a CW</summary><p>spoiler inside</p></details>");
      expect(page).toContain(
        `<link rel="alternate" type="application/activity+json" href="${id}">`,
      );
    }
  });

  it("sends servers from the note's page to its id", async () => {
    const { id, slug } = await seedNote();
    const res = await get(`/@owner/${slug}`, AP);
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe(id);
  });

  it("serves unlisted notes, hides followers-only and direct ones (404)", async () => {
    const unlisted = await seedNote({ visibility: "unlisted" });
    expect((await get(unlisted.id, AP)).status).toBe(200);
    for (const visibility of ["private", "direct"] as const) {
      const { id, slug } = await seedNote({ visibility });
      for (const path of [id, `${id}/activity`, `/@owner/${slug}`]) {
        const res = await get(path, AP);
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({ error: expect.any(String) });
      }
    }
  });

  it("answers 410 with a Tombstone for a deleted note", async () => {
    const { id } = await seedNote({ deleted: true });
    const res = await get(id, AP);
    expect(res.status).toBe(410);
    expect(await res.json()).toMatchObject({ id, type: "Tombstone" });
  });

  it("answers 404 for notes that do not exist or ids that cannot be ours", async () => {
    for (const path of [
      "/users/owner/statuses/1",
      "/users/owner/statuses/abc",
      "/users/other/statuses/1",
    ]) {
      expect((await get(path, AP)).status).toBe(404);
    }
  });
});

describe("activities by id", () => {
  it("serves the Create of a note at <note>/activity", async () => {
    const { id } = await seedNote();
    const activity = await getJson(`${id}/activity`);
    expect(activity).toMatchObject({
      id: `${id}/activity`,
      type: "Create",
      actor: OWNER,
      object: id,
    });
    expect(activity["@context"]).toContain("https://www.w3.org/ns/activitystreams");
  });

  it("serves other activities at /activities/<id>, only when public", async () => {
    const announce = `${ORIGIN}/activities/77`;
    const hidden = `${ORIGIN}/activities/78`;
    await db()
      .insert(outbox)
      .values([
        {
          id: announce,
          actor: OWNER,
          type: "Announce",
          objectId: "https://remote.test/notes/1",
          visibility: "public",
          payload: {
            id: announce,
            type: "Announce",
            actor: OWNER,
            object: "https://remote.test/notes/1",
          },
          published: new Date(),
        },
        {
          id: hidden,
          actor: OWNER,
          type: "Follow",
          objectId: "https://remote.test/users/a",
          visibility: "direct",
          payload: { id: hidden, type: "Follow" },
          published: new Date(),
        },
      ]);
    expect(await getJson(announce)).toMatchObject({ id: announce, type: "Announce" });
    expect((await get(hidden, AP)).status).toBe(404);
    expect((await get(`${ORIGIN}/activities/79`, AP)).status).toBe(404);
  });
});
