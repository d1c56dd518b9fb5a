/**
 * The owner's home timeline (`GET /api/v1/timelines/home`): whose notes are in it, Mastodon's
 * paging (`max_id`, `since_id`, `min_id`, `limit`, `Link`), bad parameters, and its query plan.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { noteId } from "../src/mastodon/ids";
import { noteByApiId } from "../src/storage/notes";
import { notes } from "../src/storage/schema";
import { homeTimeline } from "../src/storage/timeline";
import { api, db, linksOf, ownerAccountId, plansOf, seedNote, statusIdOf } from "./helpers";
import { ORIGIN, OWNER, PUBLIC, RemoteActor } from "./support/remote";

const HOME = `${ORIGIN}/api/v1/timelines/home`;

interface Status {
  id: string;
  uri: string;
  visibility: string;
  account: { id: string; acct: string };
}

/** The owner posts through the API; the status's id. */
async function post(status: string, visibility = "public"): Promise<string> {
  const res = await api("/v1/statuses", { body: { status, visibility } });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as Status).id;
}

/** A remote actor sends a note (in a `Create`); its status id once stored. */
async function send(actor: RemoteActor, extra: Record<string, unknown> = {}): Promise<string> {
  const note = actor.note(`<p>from ${actor.id}</p>`, extra);
  const res = await actor.send(actor.activity("Create", note, { to: note.to, cc: note.cc }));
  expect(res.status).toBe(202);
  return statusIdOf(note.id);
}

/** Ids newest first: a larger id is a newer status. */
const newestFirst = (a: string, b: string) => (BigInt(b) > BigInt(a) ? 1 : a === b ? 0 : -1);

/** The owner follows the actor through the API (lookup, follow); accepted unless told not. */
async function follow(actor: RemoteActor, accept = true): Promise<string> {
  const [username, host] = [actor.id.split("/").pop() ?? "", actor.host];
  await actor.serveWebFinger();
  const found = await api(`/v1/accounts/lookup?acct=${username}@${host}`);
  expect(found.status).toBe(200);
  const { id } = (await found.json()) as { id: string };
  expect((await api(`/v1/accounts/${id}/follow`, { method: "POST" })).status).toBe(200);
  if (accept) await acceptFollow(actor);
  return id;
}

async function acceptFollow(actor: RemoteActor): Promise<void> {
  const accepted = actor.activity("Accept", { type: "Follow", actor: OWNER, object: actor.id });
  expect((await actor.send(accepted)).status).toBe(202);
}

/** The `Link` header's targets by rel. */
async function page(query: string): Promise<{ ids: string[]; links: Record<string, string> }> {
  const res = await api(query.startsWith("http") ? query : `${HOME}${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  const body = (await res.json()) as Status[];
  return { ids: body.map((s) => s.id), links: linksOf(res) };
}

type Page = Awaited<ReturnType<typeof page>>;

/** Follows one rel of the Link headers from a first page until a page is empty or has none. */
async function walk(first: string, rel: "next" | "prev"): Promise<Page[]> {
  const pages: Page[] = [];
  let url: string | undefined = first;
  while (url !== undefined) {
    const current = await page(url);
    pages.push(current);
    if (pages.length > 100) throw new Error("the walk does not end");
    url = current.ids.length === 0 ? undefined : current.links[rel];
  }
  return pages;
}

// The world, oldest first. `included` is what the timeline must hold (by status id).
const included: string[] = [];
// Older notes of the owner's, so that the timeline spans several pages.
for (let n = 0; n < 45; n++) included.push((await seedNote()).statusId);

const ada = await RemoteActor.create({ host: "tl-ada.test", username: "ada" }); // followed
const ben = await RemoteActor.create({ host: "tl-ben.test", username: "ben" }); // followed
const cyd = await RemoteActor.create({ host: "tl-cyd.test", username: "cyd" }); // not followed
const dee = await RemoteActor.create({ host: "tl-dee.test", username: "dee" }); // requested
await follow(ada);
const benAccount = await follow(ben);
const deeAccount = await follow(dee, false);
const mentionOwner = { type: "Mention", href: OWNER, name: "@owner@outpost.test" };

const excluded = {
  // ada's direct note to someone else.
  adaDirectElsewhere: "",
  // Deleted: one by ada (a Delete), one by the owner (through the API).
  adaDeleted: "",
  ownerDeleted: "",
  // Stored because they mention or address the owner, but by accounts the owner does not follow.
  cydPublic: "",
  cydDirect: "",
  deePublic: "",
};

included.push(await post("mine, public"));
included.push(await send(ada));
excluded.cydPublic = await send(cyd, { tag: [mentionOwner] });
included.push(await send(ada, { to: [`${ada.id}/followers`], cc: [PUBLIC] })); // unlisted
included.push(await post("mine, unlisted", "unlisted"));
included.push(await send(ben));
included.push(await send(ada, { to: [`${ada.id}/followers`], cc: [] })); // followers-only
excluded.adaDirectElsewhere = await send(ada, { to: ["https://tl-x.test/users/xia"], cc: [] });
included.push(await post("mine, followers only", "private"));
// Direct to the owner: addressed, or only mentioned.
included.push(await send(ada, { to: [OWNER], cc: [], tag: [mentionOwner] }));
included.push(await send(ada, { to: [], cc: [], tag: [mentionOwner] }));
excluded.cydDirect = await send(cyd, { to: [OWNER], cc: [], tag: [mentionOwner] });
excluded.deePublic = await send(dee, { tag: [mentionOwner] });
included.push(await post("mine, direct", "direct"));
included.push(await send(ben));
{
  const note = ada.note("<p>soon gone</p>");
  await ada.send(ada.activity("Create", note, { to: note.to, cc: note.cc }));
  await ada.send(ada.activity("Delete", { id: note.id, type: "Tombstone" }));
  const [row] = await db().select().from(notes).where(eq(notes.id, note.id));
  expect(row?.deletedAt).not.toBeNull();
  excluded.adaDeleted = row === undefined ? "" : noteId(row);
}
excluded.ownerDeleted = await post("mine, soon gone");
expect((await api(`/v1/statuses/${excluded.ownerDeleted}`, { method: "DELETE" })).status).toBe(200);
included.push(await post("mine, newest"));

/** What the timeline must hold, newest first. */
const expected = () => [...included].sort(newestFirst);
const OWNER_ID = await ownerAccountId();

describe("the home timeline", () => {
  it("holds the owner's notes and those of followed accounts, newest first", async () => {
    const res = await api(`${HOME}?limit=40`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Status[];
    expect(body.map((s) => s.id)).toEqual(expected().slice(0, 40));
    const byId = new Map(body.map((s) => [s.id, s]));
    expect(byId.get(included[45] as string)).toMatchObject({
      account: { id: OWNER_ID },
      visibility: "public",
    });
    expect(byId.get(included[46] as string)).toMatchObject({
      account: { acct: "ada@tl-ada.test" },
      visibility: "public",
      uri: expect.stringMatching(/^https:\/\/tl-ada\.test\/notes\//),
    });
    expect(body.map((s) => s.visibility)).toEqual(
      expect.arrayContaining(["public", "unlisted", "private", "direct"]),
    );
  });

  it("leaves out others' notes, direct notes not addressed to the owner, and deleted notes", async () => {
    // All of these are stored: the timeline, not the inbox, leaves them out.
    for (const id of Object.values(excluded)) {
      expect(await noteByApiId(db(), BigInt(id))).toBeDefined();
    }
    const all = (await walk(`${HOME}?limit=40`, "next")).flatMap((p) => p.ids);
    expect(all).toEqual(expected());
    for (const id of Object.values(excluded)) expect(all).not.toContain(id);
  });

  it("counts a follow once it is accepted, and no longer once the owner unfollows", async () => {
    expect((await page("?limit=40")).ids).not.toContain(excluded.deePublic);
    await acceptFollow(dee);
    expect((await page("?limit=40")).ids).toContain(excluded.deePublic);

    const bens = async () =>
      (await db().select().from(notes).where(eq(notes.attributedTo, ben.id))).map(noteId);
    const benIds = await bens();
    expect(benIds).toHaveLength(2);
    const before = (await page("?limit=40")).ids;
    for (const id of benIds) expect(before).toContain(id);
    const res = await api(`/v1/accounts/${benAccount}/unfollow`, { method: "POST" });
    expect(await res.json()).toMatchObject({ following: false });
    const after = (await page("?limit=40")).ids;
    for (const id of benIds) expect(after).not.toContain(id);
    // Still stored: only the timeline leaves them out.
    expect(await bens()).toEqual(benIds);

    // Back as it was, for the paging tests.
    await follow(ben);
    await api(`/v1/accounts/${deeAccount}/unfollow`, { method: "POST" });
    expect((await page("?limit=40")).ids).toEqual(expected().slice(0, 40));
  });
});

describe("paging", () => {
  it("answers 20 statuses by default and at most 40", async () => {
    expect((await page("")).ids).toEqual(expected().slice(0, 20));
    expect((await page("?limit=100")).ids).toEqual(expected().slice(0, 40));
    expect((await page("?limit=3")).ids).toEqual(expected().slice(0, 3));
  });

  it("links the next (older, max_id) and previous (newer, min_id) pages", async () => {
    const first = await page("?limit=5");
    const ids = expected();
    expect(first.ids).toEqual(ids.slice(0, 5));
    expect(first.links).toEqual({
      next: `${HOME}?limit=5&max_id=${ids[4]}`,
      prev: `${HOME}?limit=5&min_id=${ids[0]}`,
    });
    // Without a limit, the links carry none.
    expect((await page("")).links.next).toBe(`${HOME}?max_id=${ids[19]}`);
  });

  it("walks older pages with max_id until the end, with no duplicates and no gaps", async () => {
    const pages = await walk(`${HOME}?limit=7`, "next");
    const all = pages.flatMap((p) => p.ids);
    expect(all).toEqual(expected());
    expect(new Set(all).size).toBe(included.length);
    for (const p of pages.slice(0, -1)) expect(p.ids).toHaveLength(7);
    // The last page is known to be the last: it links no older one, only newer ones.
    const last = pages.at(-1);
    expect(last?.ids.length).toBeGreaterThan(0);
    expect(last?.links.next).toBeUndefined();
    expect(last?.links.prev).toBe(`${HOME}?limit=7&min_id=${last?.ids[0]}`);
  });

  it("max_id answers the notes older than it, newest first", async () => {
    const ids = expected();
    expect((await page(`?max_id=${ids[9]}&limit=4`)).ids).toEqual(ids.slice(10, 14));
    // A cursor need not be a note of the timeline.
    expect((await page(`?max_id=${excluded.cydDirect}&limit=40`)).ids).toEqual(
      ids.filter((id) => BigInt(id) < BigInt(excluded.cydDirect)).slice(0, 40),
    );
  });

  it("since_id answers the newest notes above it, leaving a gap", async () => {
    const ids = expected();
    expect((await page(`?since_id=${ids[10]}&limit=4`)).ids).toEqual(ids.slice(0, 4));
    expect((await page(`?since_id=${ids[10]}&limit=40`)).ids).toEqual(ids.slice(0, 10));
    expect((await page(`?since_id=${ids[0]}`)).ids).toEqual([]);
  });

  it("min_id answers the page just after it, newest first", async () => {
    const ids = expected();
    expect((await page(`?min_id=${ids[10]}&limit=4`)).ids).toEqual(ids.slice(6, 10));
    // min_id wins over since_id, as in Mastodon.
    expect((await page(`?min_id=${ids[10]}&since_id=${ids[20]}&limit=4`)).ids).toEqual(
      ids.slice(6, 10),
    );
  });

  it("walks newer pages with min_id from the oldest, with no duplicates and no gaps", async () => {
    const pages = (await walk(`${HOME}?min_id=0&limit=6`, "prev")).map((p) => p.ids);
    // Mastodon's way: a page links its newer neighbour until one comes back empty.
    expect(pages.at(-1)).toEqual([]);
    for (const p of pages) expect(p).toEqual([...p].sort(newestFirst));
    for (const p of pages.slice(0, -2)) expect(p).toHaveLength(6);
    expect(pages.reverse().flat()).toEqual(expected());
  });

  it("bounds a range with max_id and since_id or min_id", async () => {
    const ids = expected();
    expect((await page(`?max_id=${ids[3]}&since_id=${ids[12]}&limit=3`)).ids).toEqual(
      ids.slice(4, 7),
    );
    expect((await page(`?max_id=${ids[3]}&min_id=${ids[12]}&limit=3`)).ids).toEqual(
      ids.slice(9, 12),
    );
    expect((await page(`?max_id=${ids[3]}&min_id=${ids[5]}`)).ids).toEqual([ids[4]]);
  });

  it("answers an empty page without a Link header", async () => {
    const oldest = expected().at(-1);
    const res = await api(`${HOME}?max_id=${oldest}`);
    expect(await res.json()).toEqual([]);
    expect(res.headers.get("Link")).toBeNull();
  });
});

describe("bad requests", () => {
  it.each([
    "max_id=abc",
    "max_id=-1",
    "since_id=1.5",
    "min_id=1e3",
    "min_id=12345678901234567890",
    // Past the largest id (2^63 − 1).
    "max_id=9223372036854775808",
    "since_id=owner",
    "limit=0",
    "limit=-5",
    "limit=ten",
    "limit=2.5",
  ])("?%s answers 400 with an error", async (query) => {
    const res = await api(`${HOME}?${query}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string };
    expect(body).toEqual({ error: expect.stringContaining(query.split("=")[0] as string) });
  });

  it("ignores empty parameters, as Mastodon does", async () => {
    expect((await page("?max_id=&limit=")).ids).toEqual(expected().slice(0, 20));
  });

  it("refuses a missing or wrong token (401)", async () => {
    for (const token of [null, "wrong"]) {
      const res = await api(HOME, { token });
      expect(res.status).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
      expect(await res.json()).toEqual({ error: expect.any(String) });
    }
  });
});

describe("the timeline's query", () => {
  it.each([
    ["the first page", { limit: 20 }],
    ["an older page", { maxId: 1n << 62n, limit: 20 }],
    ["a newer page", { minId: 10n, limit: 20 }],
    ["newest above", { sinceId: 10n, maxId: 1n << 62n, limit: 20 }],
  ])(
    "walks notes by status id and looks each follow and address up by key: %s",
    async (_, request) => {
      const plans = await plansOf((db) =>
        homeTimeline(db, { owner: OWNER, now: new Date() }, request),
      );
      // The notes, then the boosts within their span.
      expect(plans).toHaveLength(2);
      const plan = plans[0]?.join("\n") ?? "";
      // Notes in id order, through the id's expression index, from the cursor: no sort.
      const bounds = "maxId" in request || "minId" in request || "sinceId" in request;
      expect(plan).toMatch(
        bounds
          ? /^SEARCH notes USING INDEX notes_api_id_idx \(<expr>[<>]\?( AND <expr><\?)?\)$/m
          : /^SCAN notes USING INDEX notes_api_id_idx$/m,
      );
      expect(plan).not.toMatch(/TEMP B-TREE/);
      expect(plan).toMatch(
        /SEARCH follows USING INDEX follows_edge_unique \(actor=\? AND follower=\?\)/,
      );
      expect(plan).toMatch(
        /SEARCH note_recipients USING (COVERING )?INDEX sqlite_autoindex_note_recipients_1 \(note_seq=\? AND recipient=\?\)/,
      );
      expect(plan).toMatch(
        /SEARCH note_tags USING (COVERING )?INDEX (sqlite_autoindex_note_tags_1 \(note_seq=\? AND type=\?\)|note_tags_href_idx \(href=\? AND note_seq=\?\))/,
      );
      // No other table is scanned.
      expect(plan).not.toMatch(/^SCAN (?!notes USING INDEX notes_api_id_idx$)\w+/m);
    },
  );
});
