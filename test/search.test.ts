/**
 * `GET /api/v2/search`: what the owner finds by words, handles, URLs and hashtags, what
 * `resolve` fetches from the fake fediverse, and what is refused.
 */
import { and, eq } from "drizzle-orm";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { actors, follows, notes } from "../src/storage/schema";
import { api, db, seedFollow } from "./helpers";
import { registerApp, signIn } from "./support/oauth";
import { AS_CONTEXT, OWNER, RemoteActor, received, serve } from "./support/remote";

interface Results {
  accounts: { id: string; acct: string; username: string }[];
  statuses: { id: string; uri: string; content: string; account: { acct: string } }[];
  hashtags: { id: string; name: string; url: string; history: unknown[] }[];
}

async function search(params: Record<string, string>): Promise<Results> {
  const res = await api(`/v2/search?${new URLSearchParams(params)}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Results;
}

const statusUris = async (q: string, extra: Record<string, string> = {}) =>
  (await search({ q, type: "statuses", ...extra })).statuses.map((s) => s.uri);

async function post(status: string, extra: Record<string, unknown> = {}) {
  const res = await api("/v1/statuses", { body: { status, ...extra } });
  expect(res.status).toBe(200);
  return (await res.json()) as { id: string; uri: string };
}

/** FTS5's query syntax, and SQL's, that a user's words must not be read as. */
const FTS_SYNTAX = [
  '"a" OR "b"',
  "a NEAR/2 b",
  "NEAR(a b)",
  "{body}: a",
  "^a",
  "a*",
  "- a",
  "(",
  "'",
];

const HOST = "search.test";
const zoe = await RemoteActor.create({ host: HOST, username: "zoe", name: "Zoë Quartz" });
await seedFollow(zoe.id, OWNER);

describe("statuses by their words", () => {
  it("finds a received note by a word of its text, never by its markup", async () => {
    const note = zoe.note(
      `<p>Zebras <a href="https://elsewhere.test/wiki" class="u-url mention" rel="nofollow">@<span>quagga</span></a> <span class="invisible">https://</span><span class="ellipsis">stripes.example</span></p><p>second paragraph</p>`,
    );
    expect((await zoe.send(zoe.activity("Create", note))).status).toBe(202);
    for (const word of ["zebras", "Quagga", "stripes", "paragraph", "stripes.example"]) {
      expect(await statusUris(word), word).toEqual([note.id]);
    }
    for (const markup of ["href", "span", "class", "invisible", "ellipsis", "nofollow", "p"]) {
      expect(await statusUris(markup), markup).toEqual([]);
    }
    const [status] = (await search({ q: "zebras" })).statuses;
    expect(status?.account.acct).toBe(`zoe@${HOST}`);
  });

  it("folds diacritics and case both ways, and finds the content warning and media descriptions", async () => {
    const { uri } = await post("Crème brûlée au CAFÉ", { spoiler_text: "Dessert ahead" });
    for (const q of ["creme", "brûlée", "BRULEE", "café", "cafe", "dessert", "crème brulee café"]) {
      expect(await statusUris(q), q).toEqual([uri]);
    }
    const pictured = zoe.note("<p>look</p>", {
      attachment: [
        {
          type: "Document",
          mediaType: "image/png",
          url: "https://search.test/a.png",
          name: "A heron fishing",
        },
      ],
    });
    expect((await zoe.send(zoe.activity("Create", pictured))).status).toBe(202);
    expect(await statusUris("heron")).toEqual([pictured.id]);
  });

  it("needs every word, newest first, paged by limit and offset", async () => {
    const first = await post("ordering walrus one");
    const second = await post("ordering walrus two");
    const third = await post("ordering walrus three");
    expect(await statusUris("walrus")).toEqual([third.uri, second.uri, first.uri]);
    expect(await statusUris("walrus two")).toEqual([second.uri]);
    expect(await statusUris("walrus", { limit: "1", offset: "1" })).toEqual([second.uri]);
    // Without a type, Mastodon pages nothing: offset is ignored.
    const all = await search({ q: "walrus", offset: "2" });
    expect(all.statuses.map((s) => s.uri)).toEqual([third.uri, second.uri, first.uri]);
    expect(await statusUris("walrus", { max_id: second.id })).toEqual([first.uri]);
    expect(await statusUris("walrus", { min_id: second.id })).toEqual([third.uri]);
  });

  it("filters by account_id, and answers 404 for an account it does not know", async () => {
    await post("narwhal by the owner");
    const theirs = zoe.note("<p>narwhal by zoe</p>");
    expect((await zoe.send(zoe.activity("Create", theirs))).status).toBe(202);
    const [account] = (await search({ q: `zoe@${HOST}`, type: "accounts" })).accounts;
    expect(await statusUris("narwhal", { account_id: account?.id ?? "" })).toEqual([theirs.id]);
    const res = await api("/v2/search?q=narwhal&type=statuses&account_id=12345");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "Record not found" });
  });

  it("never finds a deleted note, the owner's or a received one", async () => {
    const mine = await post("ephemeral okapi");
    const theirs = zoe.note("<p>ephemeral okapi too</p>");
    expect((await zoe.send(zoe.activity("Create", theirs))).status).toBe(202);
    expect(await statusUris("okapi")).toHaveLength(2);
    expect((await api(`/v1/statuses/${mine.id}`, { method: "DELETE" })).status).toBe(200);
    const del = zoe.activity("Delete", { id: theirs.id, type: "Tombstone" });
    expect((await zoe.send(del)).status).toBe(202);
    expect(await statusUris("okapi")).toEqual([]);
    expect(await statusUris("ephemeral")).toEqual([]);
  });

  it("finds only what the owner may see: followers-only while they follow, no one else's DM", async () => {
    const yan = await RemoteActor.create({ host: "yan.search.test", username: "yan" });
    await seedFollow(yan.id, OWNER);
    const followersOnly = yan.note("<p>private quokka</p>", {
      to: [`${yan.id}/followers`],
      cc: [],
    });
    expect((await yan.send(yan.activity("Create", followersOnly))).status).toBe(202);
    expect(await statusUris("quokka")).toEqual([followersOnly.id]);
    expect((await search({ q: followersOnly.id, resolve: "true" })).statuses).toHaveLength(1);
    // The owner stops following: the note stays stored, and is no longer theirs to find.
    await db()
      .delete(follows)
      .where(and(eq(follows.actor, yan.id), eq(follows.follower, OWNER)));
    expect(await statusUris("quokka")).toEqual([]);
    await serve({ url: followersOnly.id, status: 404 });
    for (const resolve of ["false", "true"]) {
      expect((await search({ q: followersOnly.id, resolve })).statuses, resolve).toEqual([]);
    }
    // A direct note to someone else, fetched by its URL: stored, never shown.
    const direct = yan.note("<p>secret wombat</p>", {
      to: ["https://elsewhere.test/users/someone"],
      cc: [],
    });
    await serve({ url: direct.id, body: { "@context": AS_CONTEXT, ...direct } });
    expect((await search({ q: direct.id, resolve: "true" })).statuses).toEqual([]);
    expect(await db().select().from(notes).where(eq(notes.id, direct.id))).toHaveLength(1);
    expect(await statusUris("wombat")).toEqual([]);
    expect((await search({ q: direct.id, resolve: "true" })).statuses).toEqual([]);
  });

  it("finds an edited note by its new words only, the owner's and a received one", async () => {
    const mine = await post("before tapir");
    const edit = await api(`/v1/statuses/${mine.id}`, {
      method: "PUT",
      body: { status: "after ibex" },
    });
    expect(edit.status).toBe(200);
    expect(await statusUris("tapir")).toEqual([]);
    expect(await statusUris("ibex")).toEqual([mine.uri]);
    const theirs = zoe.note("<p>before gecko</p>");
    expect((await zoe.send(zoe.activity("Create", theirs))).status).toBe(202);
    const updated = {
      ...theirs,
      content: "<p>after iguana</p>",
      updated: new Date().toISOString(),
    };
    expect((await zoe.send(zoe.activity("Update", updated))).status).toBe(202);
    expect(await statusUris("gecko")).toEqual([]);
    expect(await statusUris("iguana")).toEqual([theirs.id]);
  });

  it("reads hostile queries as plain words: 200 or 422, never 500", async () => {
    const { uri } = await post('quoted "NEAR" * - col:term AND/OR');
    const hostile = [
      '"',
      '""',
      '"""',
      "*",
      "a*",
      "*a",
      "-",
      "-okapi",
      "NEAR(",
      "NEAR(a b, 2)",
      "NEAR",
      ":",
      "body:near",
      "notes_search:x",
      "AND",
      "OR",
      "NOT",
      "(",
      ")",
      "^",
      "{a b}",
      "+",
      "\\",
      "'",
      "';--",
      "\u0000",
      "\ud800",
      "💥",
      "a\tb\nc",
      "%",
      "_",
      "&amp;",
      "<p>",
      "x".repeat(5000),
      `${'"'.repeat(2500)}`,
      "a ".repeat(2500),
    ];
    for (const q of hostile) {
      const res = await api(`/v2/search?${new URLSearchParams({ q })}`);
      expect([200, 422], `${JSON.stringify(q.slice(0, 20))}: ${res.status}`).toContain(res.status);
      expect(await res.json()).toBeTypeOf("object");
    }
    expect(await statusUris('"NEAR"')).toEqual([uri]);
    expect(await statusUris("col:term")).toEqual([uri]);
    const long = await api(`/v2/search?${new URLSearchParams({ q: "x".repeat(5001) })}`);
    expect(long.status).toBe(422);
    expect(await long.json()).toEqual({ error: "q is longer than 5000 characters" });
  });
});

describe("generated queries", () => {
  it("answer 200 or 422 with JSON, whatever the parameters hold", async () => {
    const text = fc.oneof(
      fc.string({ maxLength: 40, unit: "binary" }),
      fc.constantFrom(...FTS_SYNTAX),
    );
    await fc.assert(
      fc.asyncProperty(
        text,
        fc.constantFrom("", "accounts", "statuses", "hashtags"),
        async (q, type) => {
          const res = await api(`/v2/search?${new URLSearchParams({ q, type, offset: "1" })}`);
          expect([200, 422]).toContain(res.status);
          expect(await res.json()).toBeTypeOf("object");
        },
      ),
      { seed: 0x5eed_5ea2, numRuns: 150 },
    );
  });
});

describe("accounts and hashtags", () => {
  it("finds stored accounts by handle, username or a word of the name, and the owner", async () => {
    for (const q of [`zoe@${HOST}`, `@zoe@${HOST}`, "zo", "quartz", "@zoe", `zoe@sea`]) {
      const { accounts } = await search({ q, type: "accounts" });
      expect(
        accounts.map((a) => a.acct),
        q,
      ).toEqual([`zoe@${HOST}`]);
    }
    const owner = await search({ q: "owner", type: "accounts" });
    expect(owner.accounts[0]?.username).toBe("owner");
    expect((await search({ q: "#zoe", type: "accounts" })).accounts).toEqual([]);
    // The owner follows zoe; the owner is not among whom the owner follows.
    const following = await search({ q: "zoe", type: "accounts", following: "true" });
    expect(following.accounts.map((a) => a.acct)).toEqual([`zoe@${HOST}`]);
    expect((await search({ q: "owner", type: "accounts", following: "true" })).accounts).toEqual(
      [],
    );
  });

  it("finds hashtags by prefix, each once, the exact one first", async () => {
    const tagged = zoe.note("<p>#Heronry #heron #herons</p>", {
      tag: ["Heronry", "heron", "herons"].map((t) => ({ type: "Hashtag", name: `#${t}` })),
    });
    expect((await zoe.send(zoe.activity("Create", tagged))).status).toBe(202);
    await post("#heron again");
    const { hashtags } = await search({ q: "#heron", type: "hashtags" });
    expect(hashtags.map((h) => h.name)).toEqual(["heron", "heronry", "herons"]);
    expect(hashtags[0]).toMatchObject({ url: "https://outpost.test/tags/heron", history: [] });
    expect(hashtags[0]?.id).toMatch(/^\d+$/);
    expect(
      (await search({ q: "HERON", type: "hashtags", limit: "1", offset: "1" })).hashtags,
    ).toEqual([expect.objectContaining({ name: "heronry" })]);
    expect((await search({ q: "her on", type: "hashtags" })).hashtags).toEqual([]);
  });

  it("normalises hashtags alike when stored and when looked up (NFKC, case)", async () => {
    // A received tag in fullwidth letters is stored as its plain name.
    const wide = zoe.note("<p>#ＰＥＬＩＣＡＮ</p>", {
      tag: [{ type: "Hashtag", name: "#ＰＥＬＩＣＡＮ" }],
    });
    expect((await zoe.send(zoe.activity("Create", wide))).status).toBe(202);
    await post("#Ｐｅｌｉｃａｎｓ too");
    for (const q of ["#pelican", "ＰＥＬＩ", "＃ｐｅｌｉｃａｎ"]) {
      const { hashtags } = await search({ q, type: "hashtags" });
      expect(
        hashtags.map((h) => h.name),
        q,
      ).toEqual(["pelican", "pelicans"]);
    }
    const [account] = (await search({ q: `zoe@${HOST}`, type: "accounts" })).accounts;
    const tagged = await api(`/v1/accounts/${account?.id}/statuses?tagged=%EF%BC%B0elican`);
    expect(((await tagged.json()) as { uri: string }[]).map((s) => s.uri)).toEqual([wide.id]);
  });
});

describe("resolve", () => {
  it("finds an unknown user@host through WebFinger only when asked, and stores it", async () => {
    const far = await RemoteActor.create({ host: "far.search.test", username: "faraway" });
    await far.serveWebFinger();
    const q = "faraway@far.search.test";
    expect((await search({ q, type: "accounts" })).accounts).toEqual([]);
    const found = await search({ q, type: "accounts", resolve: "true" });
    expect(found.accounts.map((a) => a.acct)).toEqual([q]);
    expect(await db().select().from(actors).where(eq(actors.id, far.id))).toHaveLength(1);
  });

  it("fetches a status by its URL or its page, stores it with its author, and finds it by its words", async () => {
    const poster = await RemoteActor.create({ host: "posts.search.test", username: "poster" });
    const note = poster.note("<p>a resolvable pangolin</p>");
    const page = `https://posts.search.test/@poster/${String(note.id).split("/").pop()}`;
    await serve({ url: String(note.id), body: note }, { url: page, body: note });
    // Without resolve, nothing is fetched.
    expect((await search({ q: String(note.id) })).statuses).toEqual([]);
    expect(await received("posts.search.test", "GET")).toEqual([]);
    const byPage = await search({ q: page, resolve: "true" });
    expect(byPage.statuses.map((s) => s.uri)).toEqual([note.id]);
    expect(byPage.statuses[0]?.account.acct).toBe("poster@posts.search.test");
    const stored = await db()
      .select()
      .from(notes)
      .where(eq(notes.id, String(note.id)));
    expect(stored).toHaveLength(1);
    expect(await statusUris("pangolin")).toEqual([note.id]);
    // Known now: answered without another request.
    const before = (await received("posts.search.test", "GET")).length;
    expect((await search({ q: String(note.id), resolve: "true" })).statuses).toHaveLength(1);
    expect(await received("posts.search.test", "GET")).toHaveLength(before);
  });

  it("fetches an account by its URL, answers nothing for a URL that names nothing", async () => {
    const person = await RemoteActor.create({ host: "people.search.test", username: "person" });
    const byUrl = await search({ q: person.id, resolve: "true" });
    expect(byUrl.accounts.map((a) => a.acct)).toEqual(["person@people.search.test"]);
    await serve({ url: "https://people.search.test/nothing", status: 404 });
    const none = await search({ q: "https://people.search.test/nothing", resolve: "true" });
    expect(none).toEqual({ accounts: [], statuses: [], hashtags: [] });
    const mine = await post("my own okapi link");
    const own = await search({ q: mine.uri, resolve: "true" });
    expect(own.statuses.map((s) => s.uri)).toEqual([mine.uri]);
  });
});

describe("refusals", () => {
  let searcher: string;
  let reader: string;
  beforeAll(async () => {
    const app = await registerApp({ scopes: "read" });
    searcher = await signIn(app, { scope: "read:search", address: "10.15.0.1" });
    reader = await signIn(app, { scope: "read:statuses", address: "10.15.0.2" });
  });

  it("needs read:search (read grants it)", async () => {
    expect((await api("/v2/search?q=x", { token: searcher })).status).toBe(200);
    const res = await api("/v2/search?q=x", { token: reader });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "This action is outside the authorized scopes" });
  });

  it("answers 400 without q, 422 for a malformed parameter", async () => {
    expect((await api("/v2/search")).status).toBe(400);
    for (const [query, error] of [
      ["q=x&type=people", "type must be accounts, statuses or hashtags"],
      ["q=x&limit=0", "limit must be a positive integer"],
      ["q=x&limit=ten", "limit must be a positive integer"],
      ["q=x&limit=-1", "limit must be a positive integer"],
      ["q=x&offset=-1", "offset must be a whole number"],
      ["q=x&type=statuses&offset=10001", "offset must be at most 10000"],
      ["q=x&max_id=abc", "max_id must be a status id"],
      ["q=x&account_id=1e9", "account_id must be an account id"],
      ["q=x&resolve=maybe", "resolve must be true or false"],
    ]) {
      const res = await api(`/v2/search?${query}`);
      expect(res.status, query).toBe(422);
      expect(await res.json(), query).toEqual({ error });
    }
  });

  it("lowers a large limit to 40, and answers empty results for an empty q", async () => {
    for (let n = 0; n < 42; n++) await post(`plenty of lemurs ${n}`);
    expect(await statusUris("lemurs", { limit: "1000" })).toHaveLength(40);
    expect(await search({ q: "  " })).toEqual({ accounts: [], statuses: [], hashtags: [] });
  });
});
