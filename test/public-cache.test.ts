/**
 * Public GETs from the Cache API (`http/middleware/public-cache.ts`, `cache/public-documents.ts`):
 * a second GET is a hit, each representation has its own copy, nothing personal is kept, and
 * what the owner or another server changes shows at the next GET.
 *
 * A copy is told from a fresh answer by changing D1 behind the cache's back (`rewrite`, a
 * direct write that purges nothing): a hit still shows the old text.
 */
import { eq } from "drizzle-orm";
import parsePrometheus from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { purgePublic } from "../src/cache/public-documents";
import { signMessage } from "../src/signatures/sign";
import { follows, notes } from "../src/storage/schema";
import {
  AP,
  api,
  BROWSER,
  db,
  get,
  getJson,
  LD,
  OWNER,
  OWNER_TOKEN,
  request,
  seedFollow,
  seedNote,
  testConfig,
  tick,
} from "./helpers";
import { eventually, RemoteActor, serve } from "./support/remote";

/** Changes a note's text in D1 without purging anything. */
const rewrite = (id: string, content: string) =>
  db().update(notes).set({ content }).where(eq(notes.id, id));

const contentOf = async (res: Response) => ((await res.json()) as { content: string }).content;

/** The public cache's counters, by result, once the Metrics object has them. */
async function cacheCounts(): Promise<Record<string, number>> {
  const res = await request("/metrics", { headers: { Authorization: `Bearer ${OWNER_TOKEN}` } });
  const family = parsePrometheus(await res.text()).find(
    (f) => f.name === "outpost_public_cache_total",
  );
  const counts: Record<string, number> = { hit: 0, miss: 0, bypass: 0 };
  for (const series of family?.metrics ?? []) {
    counts[series.labels?.result ?? ""] = Number(series.value);
  }
  return counts;
}

interface Status {
  readonly id: string;
  readonly uri: string;
  readonly url: string;
}

async function post(status: string): Promise<Status> {
  const res = await api("/v1/statuses", { body: { status } });
  expect(res.status).toBe(200);
  return (await res.json()) as Status;
}

describe("the public cache", () => {
  it("answers a second GET from its copy, counted as a hit", async () => {
    const { id } = await seedNote({ content: "<p>kept</p>" });
    const before = await cacheCounts();
    expect(await contentOf(await get(id, AP))).toBe("<p>kept</p>");
    await rewrite(id, "<p>changed behind its back</p>");
    const again = await get(id, AP);
    expect(again.status).toBe(200);
    expect(await contentOf(again)).toBe("<p>kept</p>");
    await eventually(async () => {
      const after = await cacheCounts();
      return after.hit === (before.hit ?? 0) + 1 && after.miss === (before.miss ?? 0) + 1;
    });
  });

  it("keeps one copy per representation: HTML and JSON never stand for each other", async () => {
    const { id, slug } = await seedNote({ content: "<p>two faces</p>" });
    // JSON first, then a browser at the same URL: a page, not the kept JSON.
    expect((await get(id, AP)).headers.get("Content-Type")).toMatch(/^application\/activity\+json/);
    const page = await get(id, BROWSER);
    expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(page.headers.get("Cache-Control")).toBe("no-cache");
    await rewrite(id, "<p>changed</p>");

    for (const accept of [AP, LD]) {
      const json = await get(id, accept);
      expect(json.headers.get("Content-Type")).toMatch(/^application\/activity\+json/);
      expect(json.headers.get("Vary")).toBe("Accept");
      expect(json.headers.get("Cache-Control")).toBe("public, max-age=60");
      expect(await contentOf(json)).toBe("<p>two faces</p>");
    }
    const html = await get(id, BROWSER);
    expect(html.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(html.headers.get("Vary")).toBe("Accept");
    expect(html.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    const text = await html.text();
    expect(text).toContain("two faces");
    expect(text).not.toContain('"@context"');
    // The page's own URL: JSON asked there is sent to the note, never given the page.
    expect((await get(`/@owner/${slug}`, BROWSER)).headers.get("Content-Type")).toMatch(
      /^text\/html/,
    );
    const redirected = await get(`/@owner/${slug}`, AP);
    expect(redirected.status).toBe(302);
    expect(redirected.headers.get("Location")).toBe(id);

    // The actor likewise: its JSON kept first, a browser still gets the profile page.
    expect((await get(OWNER, AP)).headers.get("Content-Type")).toMatch(/activity\+json/);
    expect((await get(OWNER, BROWSER)).headers.get("Content-Type")).toMatch(/^text\/html/);
    expect((await get(OWNER, AP)).headers.get("Content-Type")).toMatch(/activity\+json/);
  });

  it("never keeps a followers-only or direct note, nor an error", async () => {
    const follower = await RemoteActor.create({ host: "cache-follower.test" });
    await seedFollow(OWNER, follower.id);
    for (const visibility of ["private", "direct"] as const) {
      const { id } = await seedNote({ visibility, content: `<p>${visibility}</p>` });
      // Asked by anyone, or by a follower's signed fetch: not found, and not kept.
      const url = new URL(id);
      const signed = await signMessage(
        { method: "GET", url, headers: new Headers({ Accept: AP }) },
        { key: follower.signingKey, flavour: "cavage" },
      );
      expect((await request(id, { headers: signed })).status).toBe(404);
      expect((await get(id, AP)).status).toBe(404);
      expect((await get(id, BROWSER)).status).toBe(404);
      // Were it public now, it is read afresh: the 404 was not kept.
      await db().update(notes).set({ visibility: "public" }).where(eq(notes.id, id));
      expect(await contentOf(await get(id, AP))).toBe(`<p>${visibility}</p>`);
    }
  });

  it("answers signed fetches from its copy; the owner, cookies and queries bypass it", async () => {
    const { id } = await seedNote({ content: "<p>first</p>" });
    expect(await contentOf(await get(id, AP))).toBe("<p>first</p>");
    await rewrite(id, "<p>second</p>");
    const before = await cacheCounts();

    // A signature does not change what a public note is.
    const fetcher = await RemoteActor.create({ host: "cache-fetcher.test" });
    const signed = await signMessage(
      { method: "GET", url: new URL(id), headers: new Headers({ Accept: AP }) },
      { key: fetcher.signingKey, flavour: "cavage" },
    );
    expect(await contentOf(await request(id, { headers: signed }))).toBe("<p>first</p>");

    const fresh = (headers: Record<string, string>, path = id) =>
      request(path, { headers: { Accept: AP, ...headers } }).then(contentOf);
    expect(await fresh({ Authorization: `Bearer ${OWNER_TOKEN}` })).toBe("<p>second</p>");
    expect(await fresh({ Cookie: "a=b" })).toBe("<p>second</p>");
    expect(await fresh({}, `${id}?any=thing`)).toBe("<p>second</p>");
    await eventually(async () => {
      const after = await cacheCounts();
      return after.hit === (before.hit ?? 0) + 1 && after.bypass === (before.bypass ?? 0) + 3;
    });
  });

  it("keeps a collection and its first page, never a page further on", async () => {
    const followers = `${OWNER}/followers`;
    const collection = await getJson<{ totalItems: number }>(followers);
    const first = await getJson<{ orderedItems: string[] }>(`${followers}?page=true`);
    // A follower stored behind the cache's back.
    const newcomer = "https://cache-pages.test/users/newcomer";
    await db()
      .insert(follows)
      .values({ actor: OWNER, follower: newcomer, state: "accepted", createdAt: tick() });

    expect((await getJson<{ totalItems: number }>(followers)).totalItems).toBe(
      collection.totalItems,
    );
    expect(await getJson(`${followers}?page=true`)).toEqual(first);
    const later = await getJson<{ orderedItems: string[] }>(
      `${followers}?page=true&max_id=999999999`,
    );
    expect(later.orderedItems).toContain(newcomer);
    // As a follow received would: the copies go, and the next tests count afresh.
    await purgePublic(testConfig().urls, [{ kind: "follows" }]);
    expect((await getJson<{ totalItems: number }>(followers)).totalItems).toBe(
      collection.totalItems + 1,
    );
  });
});

describe("purged on change", { timeout: 20_000 }, () => {
  it("a post shows at once in the outbox, its first page, the profile page and NodeInfo", async () => {
    const outbox = await getJson<{ totalItems: number }>(`${OWNER}/outbox`);
    await getJson(`${OWNER}/outbox?page=true`);
    await get("/@owner", BROWSER);
    await get(OWNER, BROWSER);
    const info = (await (await get("/nodeinfo/2.1")).json()) as { usage: { localPosts: number } };

    const status = await post("fresh from the cache test");
    expect((await getJson<{ totalItems: number }>(`${OWNER}/outbox`)).totalItems).toBe(
      outbox.totalItems + 1,
    );
    const page = await getJson<{ orderedItems: { object: { id: string } }[] }>(
      `${OWNER}/outbox?page=true`,
    );
    expect(page.orderedItems[0]?.object.id).toBe(status.uri);
    expect(await (await get("/@owner", BROWSER)).text()).toContain("fresh from the cache test");
    expect(await (await get(OWNER, BROWSER)).text()).toContain("fresh from the cache test");
    const after = (await (await get("/nodeinfo/2.1")).json()) as { usage: { localPosts: number } };
    expect(after.usage.localPosts).toBe(info.usage.localPosts + 1);
  });

  it("an edit shows in the note's document, its pages and its Create", async () => {
    const status = await post("before the edit");
    await get(status.uri, AP);
    await get(status.uri, BROWSER);
    await get(status.url, BROWSER);
    await getJson(`${status.uri}/activity`);

    const res = await api(`/v1/statuses/${status.id}`, {
      method: "PUT",
      body: { status: "after the edit" },
    });
    expect(res.status).toBe(200);
    expect(await contentOf(await get(status.uri, AP))).toBe("<p>after the edit</p>");
    expect(await (await get(status.uri, BROWSER)).text()).toContain("after the edit");
    expect(await (await get(status.url, BROWSER)).text()).toContain("after the edit");
    const create = await getJson<{ object: { content: string } }>(`${status.uri}/activity`);
    expect(create.object.content).toBe("<p>after the edit</p>");
  });

  it("a deleted note answers 410 at once, as JSON and as a page", async () => {
    const status = await post("soon gone from the cache");
    expect((await get(status.uri, AP)).status).toBe(200);
    expect((await get(status.url, BROWSER)).status).toBe(200);
    expect((await api(`/v1/statuses/${status.id}`, { method: "DELETE" })).status).toBe(200);
    expect((await get(status.uri, AP)).status).toBe(410);
    expect((await get(status.url, BROWSER)).status).toBe(410);
    expect(await (await get("/@owner", BROWSER)).text()).not.toContain("soon gone from the cache");
  });

  it("a profile change shows in the actor and the profile pages", async () => {
    await getJson(OWNER);
    await get("/@owner", BROWSER);
    await get(OWNER, BROWSER);
    const res = await api("/v1/accounts/update_credentials", {
      method: "PATCH",
      body: { display_name: "Renamed Past The Cache" },
    });
    expect(res.status).toBe(200);
    expect(await getJson(OWNER)).toMatchObject({ name: "Renamed Past The Cache" });
    expect(await (await get("/@owner", BROWSER)).text()).toContain("Renamed Past The Cache");
    expect(await (await get(OWNER, BROWSER)).text()).toContain("Renamed Past The Cache");
  });

  it("a follower gained or lost shows in the followers collection and the profile page", async () => {
    const count = async () =>
      (await getJson<{ totalItems: number }>(`${OWNER}/followers`)).totalItems;
    const before = await count();
    await get("/@owner", BROWSER);
    const fan = await RemoteActor.create({ host: "cache-fan.test", username: "fan" });
    const follow = fan.activity("Follow", OWNER);
    expect((await fan.send(follow)).status).toBe(202);
    expect(await count()).toBe(before + 1);
    expect(await (await get("/@owner", BROWSER)).text()).toContain(`${before + 1} followers`);
    expect((await fan.send(fan.activity("Undo", follow))).status).toBe(202);
    expect(await count()).toBe(before);
  });

  it("a reply from another server shows on the note's pages at once, sent whole or by URL, and edited", async () => {
    const { id, slug } = await seedNote({ content: "<p>asking around</p>" });
    const pages = [`/@owner/${slug}`, id];
    const shown = async (text: string) =>
      Promise.all(pages.map(async (path) => (await get(path, BROWSER)).text())).then((html) =>
        html.map((h) => h.includes(text)),
      );
    expect(await shown("an answer")).toEqual([false, false]);
    const other = await RemoteActor.create({ host: "cache-replier.test" });
    const reply = other.note("<p>an answer</p>", { inReplyTo: id });
    expect((await other.send(other.activity("Create", reply))).status).toBe(202);
    expect(await shown("an answer")).toEqual([true, true]);
    // A Create naming its note by URL only: the queue fetches it, stores it, purges.
    const later = other.note("<p>a later answer</p>", { inReplyTo: id });
    await serve({ url: later.id, body: later });
    expect(await shown("a later answer")).toEqual([false, false]);
    expect((await other.send(other.activity("Create", later.id))).status).toBe(202);
    await eventually(async () => (await shown("a later answer")).every(Boolean), 15_000);
    // Edited by its author: the pages show the new text.
    const edited = {
      ...reply,
      content: "<p>an edited answer</p>",
      updated: new Date().toISOString(),
    };
    expect((await other.send(other.activity("Update", edited))).status).toBe(202);
    expect(await shown("an edited answer")).toEqual([true, true]);
  });

  it("a like and its undoing show in the note's counts", async () => {
    const { id } = await seedNote();
    const likes = async () =>
      (await getJson<{ likes: { totalItems: number } }>(id)).likes.totalItems;
    const collection = async () =>
      (await getJson<{ totalItems: number }>(`${id}/likes`)).totalItems;
    expect([await likes(), await collection()]).toEqual([0, 0]);
    const liker = await RemoteActor.create({ host: "cache-liker.test" });
    const like = liker.like(id);
    expect((await liker.send(like)).status).toBe(202);
    expect([await likes(), await collection()]).toEqual([1, 1]);
    expect((await liker.send(liker.activity("Undo", like))).status).toBe(202);
    expect([await likes(), await collection()]).toEqual([0, 0]);
  });
});
