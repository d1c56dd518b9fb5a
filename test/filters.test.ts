/**
 * The owner's filters: filters v2 (`/api/v2/filters`, with `keywords_attributes`), their
 * keywords and statuses, v1's list (`GET /api/v1/filters`), what each refuses, and the query
 * that reads the filters in force for a page.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { activeFilters } from "../src/storage/filters";
import { filters } from "../src/storage/schema-lists";
import { api, db } from "./helpers";
import { formRequest, json, seedActor, seedPost } from "./support/sorting";

interface Keyword {
  id: string;
  keyword: string;
  whole_word: boolean;
}
interface Filter {
  id: string;
  title: string;
  context: string[];
  expires_at: string | null;
  filter_action: string;
  keywords: Keyword[];
  statuses: { id: string; status_id: string }[];
}

const create = (body: Record<string, unknown>) => json<Filter>(api("/v2/filters", { body }));
const error = async (res: Promise<Response>, status: number) =>
  (await json<{ error: string }>(res, status)).error;

describe("filters v2", () => {
  it("creates a filter with keywords, shows, lists, changes and deletes it", async () => {
    const before = Date.now();
    const created = await create({
      title: "Spoilers",
      context: ["home", "public"],
      filter_action: "hide",
      expires_in: 3600,
      keywords_attributes: [
        { keyword: "finale", whole_word: true },
        { keyword: "ending", whole_word: false },
        { keyword: "", whole_word: "" },
      ],
    });
    expect(created).toMatchObject({
      title: "Spoilers",
      context: ["home", "public"],
      filter_action: "hide",
      statuses: [],
    });
    const expires = Date.parse(created.expires_at ?? "");
    expect(expires).toBeGreaterThanOrEqual(before + 3600_000);
    expect(expires).toBeLessThan(Date.now() + 3600_000 + 1000);
    expect(created.keywords.map((k) => [k.keyword, k.whole_word])).toEqual([
      ["finale", true],
      ["ending", false],
    ]);
    expect(await json(api(`/v2/filters/${created.id}`))).toEqual(created);
    expect(await json<Filter[]>(api("/v2/filters"))).toContainEqual(created);

    const [finale, ending] = created.keywords;
    const changed = await json<Filter>(
      api(`/v2/filters/${created.id}`, {
        method: "PUT",
        body: {
          title: "Show spoilers",
          context: ["thread"],
          filter_action: "warn",
          expires_in: null,
          keywords_attributes: [
            { id: finale?.id, keyword: "season finale" },
            { id: ending?.id, _destroy: true },
            { keyword: "twist" },
          ],
        },
      }),
    );
    expect(changed).toMatchObject({
      id: created.id,
      title: "Show spoilers",
      context: ["thread"],
      filter_action: "warn",
      expires_at: null,
    });
    expect(changed.keywords.map((k) => [k.keyword, k.whole_word])).toEqual([
      ["season finale", true],
      ["twist", true],
    ]);
    // What is not given stays.
    const same = await json<Filter>(api(`/v2/filters/${created.id}`, { method: "PUT", body: {} }));
    expect(same).toEqual(changed);

    expect(await json(api(`/v2/filters/${created.id}`, { method: "DELETE" }))).toEqual({});
    expect(await error(api(`/v2/filters/${created.id}`), 404)).toBe("Record not found");
    expect((await api(`/v2/filter_keywords/${finale?.id}`)).status).toBe(404);
  });

  it("reads a form, as apps send it: context[] and keywords_attributes[][keyword]", async () => {
    const res = await formRequest("/v2/filters", "POST", [
      ["title", "Form"],
      ["context[]", "home"],
      ["context[]", "notifications"],
      ["keywords_attributes[][keyword]", "one"],
      ["keywords_attributes[][whole_word]", "false"],
      ["keywords_attributes[][keyword]", "two"],
      ["expires_in", ""],
    ]);
    const filter = await json<Filter>(res);
    expect(filter.context).toEqual(["home", "notifications"]);
    expect(filter.expires_at).toBeNull();
    expect(filter.filter_action).toBe("warn");
    expect(filter.keywords.map((k) => [k.keyword, k.whole_word])).toEqual([
      ["one", false],
      ["two", true],
    ]);
    const indexed = await formRequest(`/v2/filters/${filter.id}`, "PUT", [
      ["keywords_attributes[0][id]", filter.keywords[0]?.id ?? ""],
      ["keywords_attributes[0][_destroy]", "1"],
    ]);
    expect((await json<Filter>(indexed)).keywords.map((k) => k.keyword)).toEqual(["two"]);
    await json(api(`/v2/filters/${filter.id}`, { method: "DELETE" }));
  });

  it("refuses what Mastodon refuses (422) and unknown ids (404)", async () => {
    const bad: Record<string, unknown>[] = [
      { context: ["home"] },
      { title: "", context: ["home"] },
      { title: "x".repeat(256), context: ["home"] },
      { title: "t" },
      { title: "t", context: [] },
      { title: "t", context: ["  "] },
      { title: "t", context: ["home", "everywhere"] },
      { title: "t", context: ["home"], filter_action: "explode" },
      { title: "t", context: ["home"], expires_in: -5 },
      { title: "t", context: ["home"], expires_in: "soon" },
      { title: "t", context: ["home"], keywords_attributes: [{ keyword: "x".repeat(101) }] },
      { title: "t", context: ["home"], keywords_attributes: [{ whole_word: true }] },
      { title: "t", context: ["home"], keywords_attributes: [{ keyword: " ", whole_word: "1" }] },
      { title: "t", context: ["home"], keywords_attributes: "cats" },
      {
        title: "t",
        context: ["home"],
        keywords_attributes: Array.from({ length: 101 }, (_, i) => ({ keyword: `k${i}` })),
      },
    ];
    for (const body of bad) {
      expect(await error(api("/v2/filters", { body }), 422), JSON.stringify(body)).toMatch(
        /^Validation failed: /,
      );
    }
    // A keyword id of another filter is not this filter's.
    const one = await create({
      title: "One",
      context: ["home"],
      keywords_attributes: [{ keyword: "a" }],
    });
    const two = await create({ title: "Two", context: ["home"] });
    const foreign = { keywords_attributes: [{ id: one.keywords[0]?.id, keyword: "b" }] };
    expect((await api(`/v2/filters/${two.id}`, { method: "PUT", body: foreign })).status).toBe(404);
    expect(
      (await api(`/v2/filters/${two.id}`, { method: "PUT", body: { context: [] } })).status,
    ).toBe(422);
    for (const path of ["/v2/filters/999999", "/v2/filters/x"]) {
      expect((await api(path)).status, path).toBe(404);
      expect((await api(path, { method: "PUT", body: { title: "x" } })).status, path).toBe(404);
      expect((await api(path, { method: "DELETE" })).status, path).toBe(404);
      expect((await api(`${path}/keywords`)).status, path).toBe(404);
      expect((await api(`${path}/statuses`)).status, path).toBe(404);
    }
    for (const id of [one.id, two.id]) await json(api(`/v2/filters/${id}`, { method: "DELETE" }));
  });

  it("takes 100 keywords at once, and replaces them all in one update", async () => {
    const keywords = (prefix: string) =>
      Array.from({ length: 100 }, (_, i) => ({
        keyword: `${prefix}${i}`,
        whole_word: i % 2 === 0,
      }));
    const full = await create({
      title: "Full",
      context: ["home"],
      keywords_attributes: keywords("a"),
    });
    expect(full.keywords).toHaveLength(100);
    const replaced = await json<Filter>(
      api(`/v2/filters/${full.id}`, {
        method: "PUT",
        body: {
          keywords_attributes: [
            ...full.keywords.map((k) => ({ id: k.id, _destroy: "true" })),
            ...keywords("b"),
          ],
        },
      }),
    );
    expect(replaced.keywords.map((k) => k.keyword)).toEqual(keywords("b").map((k) => k.keyword));
    const over = { keywords_attributes: [{ keyword: "one too many" }] };
    expect(await error(api(`/v2/filters/${full.id}`, { method: "PUT", body: over }), 422)).toMatch(
      /at most 100 keywords/,
    );
    const add = api(`/v2/filters/${full.id}/keywords`, { body: { keyword: "more" } });
    expect(await error(add, 422)).toMatch(/at most 100 keywords/);
    await json(api(`/v2/filters/${full.id}`, { method: "DELETE" }));
  });

  it("keeps at most 100 filters", async () => {
    const existing = (await json<Filter[]>(api("/v2/filters"))).length;
    const rows = Array.from({ length: 100 - existing }, (_, i) => ({
      title: `filler ${i}`,
      context: ["home" as const],
      createdAt: new Date(),
    }));
    for (let i = 0; i < rows.length; i += 20)
      await db()
        .insert(filters)
        .values(rows.slice(i, i + 20));
    const refused = api("/v2/filters", { body: { title: "more", context: ["home"] } });
    expect(await error(refused, 422)).toMatch(/at most 100 filters/);
    for (const row of rows) await db().delete(filters).where(eq(filters.title, row.title));
  });
});

describe("a filter's keywords and statuses", () => {
  it("lists, adds, shows, changes and deletes keywords", async () => {
    const filter = await create({ title: "Keywords", context: ["home"] });
    const path = `/v2/filters/${filter.id}/keywords`;
    const added = await json<Keyword>(api(path, { body: { keyword: "cats" } }));
    expect(added).toEqual({
      id: expect.stringMatching(/^\d+$/),
      keyword: "cats",
      whole_word: true,
    });
    const form = await formRequest(path, "POST", [
      ["keyword", "dogs"],
      ["whole_word", "0"],
    ]);
    const dogs = await json<Keyword>(form);
    expect(dogs.whole_word).toBe(false);
    expect(await json(api(path))).toEqual([added, dogs]);
    expect(await json(api(`/v2/filter_keywords/${added.id}`))).toEqual(added);
    const changed = await json<Keyword>(
      api(`/v2/filter_keywords/${added.id}`, { method: "PUT", body: { whole_word: false } }),
    );
    expect(changed).toEqual({ ...added, whole_word: false });
    const blank = api(`/v2/filter_keywords/${added.id}`, { method: "PUT", body: { keyword: " " } });
    expect((await blank).status).toBe(422);
    expect((await api(path, { body: { keyword: "x".repeat(101) } })).status).toBe(422);
    expect((await api(path, { body: {} })).status).toBe(422);
    expect(await json(api(`/v2/filter_keywords/${added.id}`, { method: "DELETE" }))).toEqual({});
    expect((await api(`/v2/filter_keywords/${added.id}`)).status).toBe(404);
    expect((await api(`/v2/filter_keywords/${added.id}`, { method: "DELETE" })).status).toBe(404);
    expect(
      (await api(`/v2/filter_keywords/${added.id}`, { method: "PUT", body: { keyword: "x" } }))
        .status,
    ).toBe(404);
    expect((await json<Filter>(api(`/v2/filters/${filter.id}`))).keywords).toEqual([dogs]);
    await json(api(`/v2/filters/${filter.id}`, { method: "DELETE" }));
  });

  it("adds a status once, lists, shows and deletes it", async () => {
    const author = await seedActor("filtered-author");
    const note = await seedPost(author.row.id);
    const filter = await create({ title: "Statuses", context: ["home"], filter_action: "hide" });
    const path = `/v2/filters/${filter.id}/statuses`;
    const added = await json<{ id: string; status_id: string }>(
      api(path, { body: { status_id: note.statusId } }),
    );
    expect(added).toEqual({ id: expect.stringMatching(/^\d+$/), status_id: note.statusId });
    expect(await error(api(path, { body: { status_id: note.statusId } }), 422)).toMatch(/taken/);
    expect((await api(path, { body: { status_id: "12345" } })).status).toBe(404);
    expect((await api(path, { body: { status_id: "x" } })).status).toBe(422);
    expect(await json(api(path))).toEqual([added]);
    expect(await json(api(`/v2/filter_statuses/${added.id}`))).toEqual(added);
    expect((await json<Filter>(api(`/v2/filters/${filter.id}`))).statuses).toEqual([added]);
    expect(await json(api(`/v2/filter_statuses/${added.id}`, { method: "DELETE" }))).toEqual({});
    expect((await api(`/v2/filter_statuses/${added.id}`)).status).toBe(404);
    expect(await json(api(path))).toEqual([]);
    await json(api(`/v2/filters/${filter.id}`, { method: "DELETE" }));
  });
});

describe("filters v1", () => {
  it("lists each keyword of each filter as a v1 filter", async () => {
    const filter = await create({
      title: "Old apps",
      context: ["home", "thread"],
      filter_action: "hide",
      keywords_attributes: [
        { keyword: "alpha", whole_word: false },
        { keyword: "beta", whole_word: true },
      ],
    });
    const v1 = await json<Record<string, unknown>[]>(api("/v1/filters"));
    const mine = v1.filter((f) => filter.keywords.some((k) => k.id === f.id));
    expect(mine).toEqual(
      filter.keywords.map((k) => ({
        id: k.id,
        phrase: k.keyword,
        context: ["home", "thread"],
        whole_word: k.whole_word,
        expires_at: null,
        irreversible: true,
      })),
    );
    await json(api(`/v2/filters/${filter.id}`, { method: "DELETE" }));
  });
});

describe("activeFilters", () => {
  it("reads, in one round trip, the filters in force in a context and the notes they name", async () => {
    const author = await seedActor("active-author");
    const [named, other] = [await seedPost(author.row.id), await seedPost(author.row.id)];
    const home = await create({
      title: "In force",
      context: ["home", "public"],
      keywords_attributes: [{ keyword: "x" }],
    });
    await json(api(`/v2/filters/${home.id}/statuses`, { body: { status_id: named.statusId } }));
    const later = await create({ title: "Later", context: ["home"], expires_in: 60 });
    const elsewhere = await create({ title: "Elsewhere", context: ["notifications"] });
    const expired = await create({ title: "Expired", context: ["home"], expires_in: 60 });
    await db()
      .update(filters)
      .set({ expiresAt: new Date(Date.now() - 1) })
      .where(eq(filters.seq, Number(expired.id)));

    const read = await activeFilters(db(), {
      context: "home",
      now: new Date(),
      notes: [named.id, other.id],
    });
    expect(read.map((a) => a.filter.title)).toEqual(["In force", "Later"]);
    expect(read[0]?.keywords).toEqual([{ filter: Number(home.id), keyword: "x", wholeWord: true }]);
    expect(read[0]?.notes).toEqual([named.id]);
    const none = await activeFilters(db(), { context: "account", now: new Date(), notes: [] });
    expect(none).toEqual([]);
    for (const f of [home, later, elsewhere, expired]) {
      await json(api(`/v2/filters/${f.id}`, { method: "DELETE" }));
    }
  });
});
