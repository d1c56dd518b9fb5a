/**
 * Hashtag pages, `/tags/:name` (issue 17): the owner's public posts with the tag, newest
 * first, 20 a page; what posts link from their hashtags; 404 for a tag no public post
 * carries, 400 for a name that cannot be one; an `OrderedCollection` for ActivityPub clients.
 */
import { describe, expect, it } from "vitest";
import { pinnedNotes } from "../src/storage/notes";
import { pinnedIdsQuery, pinStatement } from "../src/storage/pins";
import { readNotePage, readProfilePage, readTagPage } from "../src/storage/public-pages";
import { AP, api, BROWSER, get, ORIGIN, OWNER, plansOf, seedNote, testConfig } from "./helpers";

async function page(path: string, accept = BROWSER): Promise<{ res: Response; body: string }> {
  const res = await get(path, accept);
  return { res, body: await res.text() };
}

/** The posts a page lists, by their text (`<p>…</p>` of each article). */
const listed = (html: string) => [...html.matchAll(/<p>(tagged [^<]+)<\/p>/g)].map((m) => m[1]);

describe("a hashtag's page", () => {
  it("lists the owner's public posts with the tag, newest first, and only those", async () => {
    await seedNote({ content: "<p>tagged one</p>", tags: ["garden"] });
    await seedNote({ content: "<p>tagged two</p>", tags: ["garden", "kale"] });
    await seedNote({
      content: "<p>tagged but unlisted</p>",
      tags: ["garden"],
      visibility: "unlisted",
    });
    await seedNote({
      content: "<p>tagged but private</p>",
      tags: ["garden"],
      visibility: "private",
    });
    await seedNote({ content: "<p>tagged but deleted</p>", tags: ["garden"], deleted: true });
    await seedNote({ content: "<p>tagged otherwise</p>", tags: ["kale"] });
    await seedNote({
      content: "<p>tagged by another</p>",
      tags: ["garden"],
      attributedTo: "https://other.test/users/x",
    });
    const { res, body } = await page("/tags/garden");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(body).toContain("<h1>#garden</h1>");
    expect(listed(body)).toEqual(["tagged two", "tagged one"]);
    expect(body).toContain('<a class="button" href="/follow" rel="nofollow">Follow</a>');
    expect(body).toContain(`<link rel="canonical" href="${ORIGIN}/tags/garden">`);
    // The name is looked up as stored: lower-cased, NFKC.
    expect(listed((await page("/tags/GARDEN")).body)).toEqual(["tagged two", "tagged one"]);
    expect(listed((await page("/tags/%EF%BC%A7arden")).body)).toEqual(["tagged two", "tagged one"]);
  });

  it("is where a post's hashtag links", async () => {
    const posted = await api("/v1/statuses", { body: { status: "Planting #Tomatoes today" } });
    expect(posted.status).toBe(200);
    const { content } = (await posted.json()) as { content: string };
    const href = /href="([^"]+)"[^>]*>#<span>Tomatoes/.exec(content)?.[1];
    expect(href).toBe(`${ORIGIN}/tags/tomatoes`);
    const { res, body } = await page(href ?? "");
    expect(res.status).toBe(200);
    expect(body).toContain("Planting");
  });

  it("pages older posts by max_id, 20 a page, bounded", async () => {
    for (let i = 0; i < 25; i++) {
      await seedNote({ content: `<p>tagged many ${i}</p>`, tags: ["many"] });
    }
    const first = await page("/tags/many");
    expect(listed(first.body)).toHaveLength(20);
    expect(listed(first.body)[0]).toBe("tagged many 24");
    const older = /<a href="([^"]+)" rel="next">Older posts<\/a>/.exec(first.body)?.[1] ?? "";
    expect(older).toMatch(new RegExp(`^${ORIGIN}/tags/many\\?max_id=\\d+$`));
    const second = await page(older);
    expect(second.res.status).toBe(200);
    expect(listed(second.body)).toEqual([4, 3, 2, 1, 0].map((i) => `tagged many ${i}`));
    expect(second.body).not.toContain("Older posts");
    expect(second.body).toContain(`<a href="${ORIGIN}/tags/many">Newest posts</a>`);
  });

  it("says so, for a tag no public post carries (a page, not a refusal)", async () => {
    const { res, body } = await page("/tags/nothinghere");
    expect(res.status).toBe(200);
    expect(body).toContain("has no public posts tagged #nothinghere");
    expect(body).toContain('<meta name="robots" content="noindex">');
  });

  it("refuses a name that cannot be a hashtag with a 400 that says why", async () => {
    for (const name of ["two%20words", "%3Cscript%3E", "a-b", "x".repeat(101), "%23"]) {
      const { res, body } = await page(`/tags/${name}`);
      expect(res.status, name).toBe(400);
      expect(res.headers.get("Content-Type"), name).toMatch(/^application\/json/);
      expect(JSON.parse(body).error).toContain("a hashtag is 1 to 100 letters");
    }
    expect((await page("/tags/garden?max_id=zzz")).res.status).toBe(400);
  });

  it("serves ActivityPub clients an OrderedCollection of the posts' ids", async () => {
    const a = await seedNote({ content: "<p>tagged as json</p>", tags: ["jsonish"] });
    const { res, body } = await page("/tags/jsonish", AP);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/activity\+json/);
    expect(res.headers.get("Vary")).toBe("Accept");
    expect(JSON.parse(body)).toEqual({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${ORIGIN}/tags/jsonish`,
      type: "OrderedCollection",
      orderedItems: [a.id],
    });
    expect((await page("/tags/nothinghere", AP)).res.status).toBe(404);
    expect((await page("/tags/a-b", AP)).res.status).toBe(400);
  });

  it("sends the strict CSP: no script, no form", async () => {
    for (const path of ["/tags/garden", "/tags/nothinghere"]) {
      const csp = (await get(path, BROWSER)).headers.get("Content-Security-Policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("form-action 'none'");
      expect(csp).not.toMatch(/script-src|unsafe-inline/);
    }
  });
});

describe("the public pages' reads", () => {
  it("walk the author's and the replies' indexes, never all notes", async () => {
    const defaults = testConfig().owner;
    const maxId = 1n << 60n;
    const plans = [
      ...(await plansOf((db) =>
        readProfilePage(db, { actor: OWNER, defaults, maxId, limit: 20, pins: 5 }),
      )),
      ...(await plansOf((db) =>
        readProfilePage(db, { actor: OWNER, defaults, limit: 20, pins: 5 }),
      )),
      ...(await plansOf((db) =>
        readNotePage(db, { id: `${OWNER}/statuses/1`, defaults, replies: 40, now: new Date() }),
      )),
      ...(await plansOf((db) =>
        readTagPage(db, { actor: OWNER, tag: "garden", defaults, maxId, limit: 20 }),
      )),
    ];
    const detail = plans.flat().join("\n");
    expect(detail).not.toMatch(/SCAN notes\b/);
    // Nothing is sorted: the pins come in their own index's order (by pin time, as the
    // featured collection reads them), without reading the author's other notes; the pages of
    // posts in the index's order.
    expect(plans.filter((plan) => plan.some((step) => /TEMP B-TREE/.test(step)))).toEqual([]);
    expect(detail).toMatch(/SEARCH notes USING INDEX notes_pinned_idx/);
    // So do the featured collection and a pin's count of the pins there are.
    const pinning = [
      ...(await plansOf((db) => pinnedNotes(db, OWNER, 5))),
      ...(await plansOf((db) => pinnedIdsQuery(db, OWNER))),
      ...(await plansOf((db) =>
        pinStatement(db, { id: `${OWNER}/statuses/none`, author: OWNER, at: new Date(), max: 5 }),
      )),
    ]
      .flat()
      .join("\n");
    expect(pinning).not.toMatch(/SCAN notes\b|notes_author_published_idx|TEMP B-TREE/);
    expect(pinning).toMatch(/USING (COVERING )?INDEX notes_pinned_idx/);
    expect(detail).toMatch(/SEARCH notes USING INDEX notes_author_published_idx/);
    expect(detail).toMatch(/SEARCH notes USING INDEX notes_in_reply_to_idx/);
  });
});
