/**
 * A list's timeline (`GET /api/v1/timelines/list/:list_id`): the members' posts only, their
 * replies as the list's `replies_policy` says, Mastodon's paging, the filters of the `home`
 * context applied (a `hide` filter drops a post, a `warn` filter marks it), and its plan.
 */
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { listTimeline, onExclusiveList } from "../src/storage/lists";
import { notes } from "../src/storage/schema";
import { filters, lists as listRows } from "../src/storage/schema-lists";
import { api, db, linksOf, ORIGIN, OWNER, plansOf, seedFollow } from "./helpers";
import { json, seedActor, seedPost } from "./support/sorting";

interface Status {
  id: string;
  content: string;
  filtered: {
    filter: { id: string; title: string; filter_action: string };
    keyword_matches: string[];
    status_matches: string[];
  }[];
}

/** Ids newest first: a larger id is a newer status. */
const newestFirst = (ids: string[]) => [...ids].sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : -1));

const timeline = (list: string, query = "") =>
  json<Status[]>(api(`/v1/timelines/list/${list}${query}`));

async function createList(title: string, policy: string, members: string[]): Promise<string> {
  const { id } = await json<{ id: string }>(
    api("/v1/lists", { body: { title, replies_policy: policy } }),
  );
  await json(api(`/v1/lists/${id}/accounts`, { body: { account_ids: members } }));
  return id;
}

/** Who posts what; set up once (storage is shared by the file's tests). */
const posts: Record<string, string> = {};
const lists: Record<string, string> = {};

beforeAll(async () => {
  const [a, e, d, c, p] = await Promise.all(
    ["tl-a", "tl-e", "tl-d", "tl-c", "tl-p"].map((name) => seedActor(name)),
  );
  if (!a || !e || !d || !c || !p) throw new Error("actors not stored");
  // The owner follows a, e and d; asked p, who has not answered; c is a stranger.
  for (const followed of [a, e, d]) await seedFollow(followed.row.id, OWNER);
  await seedFollow(p.row.id, OWNER, "pending");
  const members = [a.apiId, e.apiId, p.apiId];
  for (const policy of ["list", "followed", "none"]) {
    lists[policy] = await createList(`replies: ${policy}`, policy, members);
  }
  const seed = async (name: string, author: string, options = {}) => {
    const { id, statusId } = await seedPost(author, options);
    posts[name] = statusId;
    return id;
  };
  const a1 = await seed("a1", a.row.id, { content: "<p>hello from a</p>" });
  const c1 = await seed("c1", c.row.id);
  const d1 = await seed("d1", d.row.id);
  const e1 = await seed("e1", e.row.id);
  await seed("p1", p.row.id);
  const mine = await seed("owner1", OWNER);
  await seed("aDirect", a.row.id, { visibility: "direct" });
  await seed("aSelf", a.row.id, { inReplyTo: a1 });
  await seed("aToOwner", a.row.id, { inReplyTo: mine });
  await seed("aToE", a.row.id, { inReplyTo: e1 });
  await seed("aToD", a.row.id, { inReplyTo: d1 });
  await seed("aToC", a.row.id, { inReplyTo: c1 });
  await seed("aToUnknown", a.row.id, { inReplyTo: "https://elsewhere.test/notes/1" });
  const gone = await seed("aDeleted", a.row.id);
  await db().update(notes).set({ deletedAt: new Date() }).where(eq(notes.id, gone));
});

const idsOf = (names: string[]) => newestFirst(names.map((n) => posts[n] ?? n));

describe("a list's timeline", () => {
  it("shows the members' posts, and their replies as the list's replies_policy says", async () => {
    const always = ["a1", "e1", "aSelf", "aToOwner"];
    const ids = async (policy: string) => (await timeline(lists[policy] ?? "")).map((s) => s.id);
    expect(await ids("list")).toEqual(idsOf([...always, "aToE"]));
    expect(await ids("followed")).toEqual(idsOf([...always, "aToE", "aToD"]));
    expect(await ids("none")).toEqual(idsOf(always));
  });

  it("pages like the home timeline", async () => {
    const list = lists.followed ?? "";
    const expected = idsOf(["a1", "e1", "aSelf", "aToOwner", "aToE", "aToD"]);
    const seen: string[] = [];
    let url: string | undefined = `${ORIGIN}/api/v1/timelines/list/${list}?limit=4`;
    while (url !== undefined) {
      const res = await api(url);
      expect(res.status).toBe(200);
      const page = ((await res.json()) as Status[]).map((s) => s.id);
      seen.push(...page);
      url = page.length === 0 ? undefined : linksOf(res).next;
      expect(seen.length).toBeLessThan(20);
    }
    expect(seen).toEqual(expected);
    const newer = await timeline(list, `?min_id=${expected[3]}&limit=2`);
    expect(newer.map((s) => s.id)).toEqual(expected.slice(1, 3));
    expect((await api(`/v1/timelines/list/${list}?max_id=x`)).status).toBe(400);
  });

  it("is a 404 for a list that is not", async () => {
    for (const id of ["999999", "x", "1.5"]) {
      const res = await api(`/v1/timelines/list/${id}`);
      expect(res.status, id).toBe(404);
      expect(await res.json()).toEqual({ error: "Record not found" });
    }
  });
});

describe("filters on a list's timeline", () => {
  it("drops what a home hide filter matches, and marks what a warn filter matches", async () => {
    const list = lists.list ?? "";
    const create = (body: Record<string, unknown>) =>
      json<{ id: string; title: string }>(api("/v2/filters", { body }));
    const warn = await create({
      title: "Greetings",
      context: ["home"],
      filter_action: "warn",
      keywords_attributes: [{ keyword: "HELLO", whole_word: true }],
    });
    const hidden = await create({
      title: "Hidden",
      context: ["home", "public"],
      filter_action: "hide",
    });
    await json(api(`/v2/filters/${hidden.id}/statuses`, { body: { status_id: posts.aToE } }));
    // Not in force on a list: another context, or expired.
    const elsewhere = await create({
      title: "Elsewhere",
      context: ["notifications"],
      filter_action: "hide",
      keywords_attributes: [{ keyword: "post", whole_word: false }],
    });
    const expired = await create({
      title: "Expired",
      context: ["home"],
      filter_action: "hide",
      expires_in: 3600,
      keywords_attributes: [{ keyword: "post", whole_word: false }],
    });
    await db()
      .update(filters)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(filters.seq, Number(expired.id)));

    const shown = await timeline(list);
    expect(shown.map((s) => s.id)).toEqual(idsOf(["a1", "e1", "aSelf", "aToOwner"]));
    const greeted = shown.find((s) => s.id === posts.a1);
    expect(greeted?.filtered).toEqual([
      {
        filter: {
          id: warn.id,
          title: "Greetings",
          context: ["home"],
          expires_at: null,
          filter_action: "warn",
        },
        keyword_matches: ["hello"],
        status_matches: [],
      },
    ]);
    expect(shown.filter((s) => s.id !== posts.a1).every((s) => s.filtered.length === 0)).toBe(true);

    // A page the filters emptied still leads on to the next.
    const emptied = await api(`/v1/timelines/list/${list}?max_id=${posts.aToD}&limit=1`);
    expect(await emptied.json()).toEqual([]);
    expect(linksOf(emptied).next).toContain(`max_id=${posts.aToE}`);

    for (const id of [warn.id, hidden.id, elsewhere.id, expired.id]) {
      await json(api(`/v2/filters/${id}`, { method: "DELETE" }));
    }
    expect((await timeline(list)).map((s) => s.id)).toEqual(
      idsOf(["a1", "e1", "aSelf", "aToOwner", "aToE"]),
    );
  });
});

describe("the list timeline's query", () => {
  it("walks the notes in id order from the cursor, each checked by key", async () => {
    const [list] = await db().select().from(listRows);
    if (list === undefined) throw new Error("no list");
    const plans = await plansOf((d) =>
      listTimeline(d, { list, owner: OWNER }, { maxId: 1n << 60n, limit: 20 }),
    );
    const plan = plans[0]?.join("\n") ?? "";
    expect(plan).toMatch(/^SEARCH notes USING INDEX notes_api_id_idx \(<expr><\?\)$/m);
    expect(plan).not.toMatch(/TEMP B-TREE/);
    expect(plan).toMatch(
      /SEARCH list_members USING (COVERING )?INDEX sqlite_autoindex_list_members_1/,
    );
    expect(plan).toMatch(/SEARCH follows (EXISTS )?USING INDEX follows_edge_unique/);
    expect(plan).toMatch(/SEARCH parent USING INDEX notes_id_unique/);
  });

  it("tells the home timeline which authors an exclusive list takes out of it", async () => {
    const only = await seedActor("tl-exclusive");
    await seedFollow(only.row.id, OWNER);
    const { id } = await json<{ id: string }>(
      api("/v1/lists", { body: { title: "Exclusive", exclusive: true } }),
    );
    await json(api(`/v1/lists/${id}/accounts`, { body: { account_ids: [only.apiId] } }));
    await seedPost(only.row.id);
    const d = db();
    const authors = await d
      .selectDistinct({ author: notes.attributedTo })
      .from(notes)
      .where(onExclusiveList(d, notes.attributedTo));
    expect(authors).toEqual([{ author: only.row.id }]);
  });
});
