import { describe, expect, it } from "vitest";
import { get, getJson, ORIGIN, OWNER, seedFollow, seedNote } from "./helpers";

type Collection = { id: string; type: string; totalItems: number; first: string };
type CollectionPage = {
  id: string;
  type: string;
  partOf: string;
  totalItems: number;
  orderedItems: unknown[];
  next?: string;
  prev?: string;
};

/** Follows `next` links from the first page to the end, collecting every item. */
async function walk(collection: string) {
  const root = await getJson<Collection>(collection);
  const pages: CollectionPage[] = [];
  let url: string | undefined = root.first;
  while (url !== undefined && pages.length < 50) {
    const page: CollectionPage = await getJson<CollectionPage>(url);
    pages.push(page);
    url = page.next;
  }
  return { root, pages, items: pages.flatMap((p) => p.orderedItems) };
}

const follower = (n: number) => `https://remote${n % 7}.test/users/f${n}`;

describe("followers", () => {
  it("is an empty OrderedCollection at first", async () => {
    const root = await getJson<Collection>("/users/owner/followers");
    expect(root).toMatchObject({
      "@context": expect.arrayContaining(["https://www.w3.org/ns/activitystreams"]),
      id: `${OWNER}/followers`,
      type: "OrderedCollection",
      totalItems: 0,
      first: `${OWNER}/followers?page=true`,
    });
    const first = await getJson<CollectionPage>(root.first);
    expect(first).toMatchObject({
      type: "OrderedCollectionPage",
      partOf: root.id,
      orderedItems: [],
    });
    expect(first.next).toBeUndefined();
  });

  it("pages accepted followers newest first, 20 a page, with next and prev", async () => {
    for (let n = 0; n < 45; n++) await seedFollow(OWNER, follower(n));
    await seedFollow(OWNER, "https://pending.test/users/p", "pending");
    await seedFollow("https://remote.test/users/other", follower(99));

    const { root, pages, items } = await walk("/users/owner/followers");
    expect(root.totalItems).toBe(45);
    expect(pages.map((p) => p.orderedItems.length)).toEqual([20, 20, 5]);
    expect(items).toEqual(Array.from({ length: 45 }, (_, i) => follower(44 - i)));
    expect(pages.every((p) => p.totalItems === 45 && p.partOf === `${OWNER}/followers`)).toBe(true);
    expect(pages[0]?.prev).toBeUndefined();
    expect(pages[2]?.next).toBeUndefined();

    // prev of the second page leads back to the first page's items.
    const second = pages[1];
    if (second?.prev === undefined) throw new Error("second page has no prev");
    const back = await getJson<CollectionPage>(second.prev);
    expect(back.orderedItems).toEqual(pages[0]?.orderedItems);
    expect(back.prev).toBeUndefined();
    expect(back.next).toBeDefined();
  });

  it("keeps a page's items when new followers arrive (cursor, not offset)", async () => {
    const { pages } = await walk("/users/owner/followers");
    const secondUrl = pages[0]?.next;
    if (secondUrl === undefined) throw new Error("no second page");
    const before = await getJson<CollectionPage>(secondUrl);
    for (let n = 100; n < 105; n++) await seedFollow(OWNER, follower(n));
    const after = await getJson<CollectionPage>(secondUrl);
    expect(after.orderedItems).toEqual(before.orderedItems);
    expect(after.totalItems).toBe(before.totalItems + 5);
    // A page's id is the URL it was fetched from.
    expect(after.id).toBe(secondUrl);
  });
});

describe("following", () => {
  it("lists whom the owner follows, accepted only", async () => {
    await seedFollow("https://a.test/users/alice", OWNER);
    await seedFollow("https://b.test/users/bob", OWNER);
    await seedFollow("https://locked.test/users/carol", OWNER, "pending");
    const { root, items } = await walk("/users/owner/following");
    expect(root).toMatchObject({ id: `${OWNER}/following`, totalItems: 2 });
    expect(items).toEqual(["https://b.test/users/bob", "https://a.test/users/alice"]);
  });
});

describe("outbox", () => {
  it("lists public and unlisted Create activities newest first, not private, direct or deleted", async () => {
    const pub = await seedNote();
    const unlisted = await seedNote({ visibility: "unlisted" });
    await seedNote({ visibility: "private" });
    await seedNote({ visibility: "direct" });
    await seedNote({ deleted: true });
    const { root, items } = await walk("/users/owner/outbox");
    expect(root).toMatchObject({ id: `${OWNER}/outbox`, type: "OrderedCollection", totalItems: 2 });
    expect(items).toEqual([
      expect.objectContaining({
        id: `${unlisted.id}/activity`,
        type: "Create",
        object: unlisted.id,
      }),
      expect.objectContaining({ id: `${pub.id}/activity`, type: "Create", object: pub.id }),
    ]);
  });

  it("pages by cursor as well", async () => {
    for (let n = 0; n < 21; n++) await seedNote();
    const { root, pages } = await walk("/users/owner/outbox");
    expect(root.totalItems).toBe(23);
    expect(pages.map((p) => p.orderedItems.length)).toEqual([20, 3]);
  });
});

describe("featured", () => {
  it("holds the pinned public notes as full objects, on one page", async () => {
    const pinned = await seedNote({ pinned: true, content: "<p>pinned</p>" });
    await seedNote({ pinned: true, visibility: "private" });
    await seedNote({ pinned: true, deleted: true });
    const { root, pages, items } = await walk("/users/owner/featured");
    expect(root).toMatchObject({
      id: `${OWNER}/featured`,
      type: "OrderedCollection",
      totalItems: 1,
    });
    expect(pages).toHaveLength(1);
    expect(items).toEqual([
      expect.objectContaining({ id: pinned.id, type: "Note", content: "<p>pinned</p>" }),
    ]);
  });
});

describe("the instance actor's outbox", () => {
  it("is empty", async () => {
    const { root, items } = await walk("/actor/outbox");
    expect(root).toMatchObject({ id: `${ORIGIN}/actor/outbox`, totalItems: 0 });
    expect(items).toEqual([]);
  });
});

describe("bad paging parameters", () => {
  it.each([
    "?page=false",
    "?page=true&max_id=abc",
    "?page=true&max_id=-1",
    "?page=true&max_id=0",
    "?page=true&min_id=1e3",
    "?page=true&max_id=5&min_id=3",
    "?page=true&max_id=99999999999999999999",
  ])("answer 400 with a JSON error (%s)", async (query) => {
    for (const collection of ["followers", "following", "outbox", "featured"]) {
      const res = await get(`/users/owner/${collection}${query}`, "application/activity+json");
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: expect.any(String) });
    }
  });

  it("answer 404 for another user's collections", async () => {
    const res = await get("/users/nobody/followers");
    expect(res.status).toBe(404);
  });
});
