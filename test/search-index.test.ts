/**
 * The search index kept with the notes: written in the batch that stores or edits a note,
 * filled in for notes stored before it by the cron's bounded backfill, and read through the
 * index however many notes match.
 */
import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb, type Db, runBatch } from "../src/storage/db";
import { editNoteStatements, insertNoteStatements } from "../src/storage/notes";
import { notes } from "../src/storage/schema";
import {
  backfillSearchIndex,
  ftsQuery,
  hashtagsByPrefix,
  searchNotes,
  searchText,
} from "../src/storage/search";
import { api, db, OWNER, plansOf, runCron, seedFollow, seedNote } from "./helpers";
import { RemoteActor } from "./support/remote";

const statusUris = async (q: string) => {
  const res = await api(`/v2/search?${new URLSearchParams({ q, type: "statuses" })}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { statuses: { uri: string }[] }).statuses.map((s) => s.uri);
};

/** Index rows, sentinel included, lowest first. */
const indexedRowids = async () =>
  (
    await env.DB.prepare("select rowid from notes_search order by rowid").all<{ rowid: number }>()
  ).results.map((r) => r.rowid);

// Notes stored before the index existed: written straight to D1, as the migration found them.
const old = [];
for (const word of ["aardvark", "badger", "cheetah", "dingo", "eland", "ferret", "gazelle"]) {
  old.push(await seedNote({ content: `<p>old <b>${word}</b></p>`, deleted: word === "dingo" }));
}
const [aardvark, badger, cheetah, , eland, ferret, gazelle] = old;

describe("the backfill", () => {
  it("indexes old notes a bounded batch a run, newest first, skipping deleted ones", async () => {
    expect(await statusUris("aardvark")).toEqual([]);
    // A note posted now is indexed at once, and old notes stay below it.
    const posted = await api("/v1/statuses", { body: { status: "new hyena" } });
    const { uri } = (await posted.json()) as { uri: string };
    expect(await statusUris("hyena")).toEqual([uri]);

    // An edit of a note not yet indexed leaves it to the backfill, which reads its new words.
    const [row] = await db()
      .select()
      .from(notes)
      .where(eq(notes.id, eland?.id ?? ""));
    if (row === undefined) throw new Error("no eland");
    const edit = { ...row, content: "<p>old elk</p>", updated: new Date() };
    await runBatch(
      db(),
      editNoteStatements(db(), { note: edit, relations: { to: [], cc: [], tags: [] } }),
    );
    expect(await statusUris("elk")).toEqual([]);

    expect(await backfillSearchIndex(db(), 2)).toBe(2);
    expect(await statusUris("gazelle")).toEqual([gazelle?.id]);
    expect(await statusUris("ferret")).toEqual([ferret?.id]);
    expect(await statusUris("elk")).toEqual([]);

    expect(await backfillSearchIndex(db(), 2)).toBe(2);
    expect(await statusUris("elk")).toEqual([eland?.id]);
    expect(await statusUris("eland")).toEqual([]);
    expect(await statusUris("cheetah")).toEqual([cheetah?.id]);
    expect(await statusUris("dingo")).toEqual([]);
    expect(await statusUris("badger")).toEqual([]);
  });

  it("indexes the new words of a note edited while it read it", async () => {
    let edited = false;
    // D1 as the backfill sees it: the note is edited between its read and its write.
    const racing = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "batch") {
          return async (statements: D1PreparedStatement[]) => {
            if (!edited) {
              edited = true;
              await target
                .prepare("update notes set content = ?, updated = ? where id = ?")
                .bind("<p>old bison</p>", Date.now(), badger?.id)
                .run();
            }
            return target.batch(statements);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    expect(await backfillSearchIndex(createDb(racing), 1)).toBe(1);
    expect(edited).toBe(true);
    expect(await statusUris("bison")).toEqual([badger?.id]);
    expect(await statusUris("badger")).toEqual([]);
  });

  it("finishes in the cron, marks itself done with rowid 0, then reads nothing", async () => {
    await runCron();
    expect(await statusUris("bison")).toEqual([badger?.id]);
    expect(await statusUris("aardvark")).toEqual([aardvark?.id]);
    expect((await indexedRowids())[0]).toBe(0);
    const plans = await plansOf((d) => backfillSearchIndex(d, 200));
    expect(plans).toHaveLength(1);
    expect(await backfillSearchIndex(db(), 200)).toBe(0);
    // The mark matches no search; every live old note is found, the deleted one not.
    expect(await statusUris("old")).toHaveLength(6);
  });
});

describe("writes", () => {
  it("keeps a note's words when its Create comes again with other content", async () => {
    const remote = await RemoteActor.create({ host: "index.search.test", username: "rem" });
    await seedFollow(remote.id, OWNER);
    const note = remote.note("<p>original quokka</p>");
    expect((await remote.send(remote.activity("Create", note))).status).toBe(202);
    const again = { ...note, content: "<p>forged wombat</p>" };
    expect((await remote.send(remote.activity("Create", again))).status).toBe(202);
    expect(await statusUris("quokka")).toEqual([note.id]);
    expect(await statusUris("wombat")).toEqual([]);
  });

  it("indexes the content warning, the text without markup, and media descriptions", () => {
    const text = searchText({
      summary: "cw words",
      content: '<p>body <a href="https://x.test/y" class="mention">@<span>z</span></a></p>',
      attachments: [{ type: "Image", url: "https://x.test/a.png", name: "alt text" }],
    });
    expect(text).toBe("cw words\n\nbody @z\n\nalt text");
  });

  it("quotes every term of a query, and leaves out terms without a word", () => {
    expect(ftsQuery('cat "dog" NEAR( -x y* a:b')).toBe('"cat" """dog""" "NEAR(" "-x" "y*" "a:b"');
    expect(ftsQuery(" *** -- ")).toBeUndefined();
    expect(ftsQuery("")).toBeUndefined();
  });
});

describe("reads", () => {
  const search = (d: Db, match: string, author?: string) =>
    searchNotes(d, { match, author, limit: 20, offset: 0, owner: OWNER, now: new Date() });

  it("walk the index in its order and find notes by their key, without a sort", async () => {
    for (const author of [undefined, OWNER]) {
      const [plan] = await plansOf((d) => search(d, '"old"', author));
      expect(plan?.[0]).toMatch(/^SCAN notes_search VIRTUAL TABLE INDEX/);
      expect(plan?.join("\n")).toMatch(/SEARCH notes USING INTEGER PRIMARY KEY/);
      expect(plan?.join("\n")).not.toMatch(/TEMP B-TREE|SCAN notes\b/);
    }
    const [tags] = await plansOf((d) => hashtagsByPrefix(d, { prefix: "a", limit: 20, offset: 0 }));
    expect(tags?.join("\n")).toMatch(
      /SEARCH note_tags USING COVERING INDEX note_tags_name_type_idx/,
    );
    expect(tags?.join("\n")).not.toMatch(/SCAN note_tags/);
  });

  it("read a few rows for a page however many notes match", async () => {
    const d = createDb(env.DB);
    await d.run(sql`
      with recursive n(i) as (select 1 union all select i + 1 from n where i < 20000)
      insert into notes (id, attributed_to, content, visibility, published)
      select 'https://bulk.test/notes/' || i, 'https://bulk.test/users/b', '<p>common ' || i || '</p>', 'public', 1700000000000 + i from n`);
    await d.run(sql`
      insert into notes_search (rowid, body)
      select seq, 'common ' || substr(id, 25) from notes where id >= 'https://bulk.test/' and id < 'https://bulk.test0'`);
    const statements: { sql: string; params: unknown[] }[] = [];
    const recorder = new Proxy(env.DB, {
      get: (target, prop) =>
        prop === "prepare"
          ? (query: string) => {
              const statement = target.prepare(query);
              return new Proxy(statement, {
                get: (s, p) =>
                  p === "bind"
                    ? (...params: unknown[]) => {
                        statements.push({ sql: query, params });
                        return s.bind(...params);
                      }
                    : (Reflect.get(s, p, s).bind?.(s) ?? Reflect.get(s, p, s)),
              });
            }
          : (Reflect.get(target, prop, target).bind?.(target) ?? Reflect.get(target, prop, target)),
    });
    const found = await search(createDb(recorder), '"common"');
    expect(found).toHaveLength(20);
    expect(found[0]?.id).toBe("https://bulk.test/notes/20000");
    const [query] = statements;
    if (query === undefined) throw new Error("no query");
    const { meta } = await env.DB.prepare(query.sql)
      .bind(...query.params)
      .all();
    expect(meta.rows_read).toBeLessThan(500);
    expect(await search(d, '"common" "12345"')).toEqual([
      expect.objectContaining({ id: "https://bulk.test/notes/12345" }),
    ]);
  });
});

describe("index writes", () => {
  it("find the note and its index row by key", async () => {
    const [row] = await db().select().from(notes).limit(1);
    if (row === undefined) throw new Error("no note");
    const relations = { to: [], cc: [], tags: [] };
    const plans = await plansOf((d) =>
      runBatch(d, [
        ...insertNoteStatements(d, { note: { ...row, id: `${row.id}/copy` }, relations }),
        ...editNoteStatements(d, { note: row, relations }),
      ]),
    );
    const touching = plans.filter((plan) => plan.some((line) => line.includes("notes_search")));
    expect(touching).toHaveLength(2);
    for (const plan of touching) {
      expect(plan).toContain("SCAN notes_search VIRTUAL TABLE INDEX 0:=");
      expect(plan.join("\n")).not.toMatch(/SCAN notes\b|TEMP B-TREE/);
    }
  });
});
