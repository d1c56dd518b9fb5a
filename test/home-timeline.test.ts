/**
 * The home timeline beyond whose notes it holds (`timeline.test.ts`): boosts as reblogs, in
 * the order of each entry's id, a note boosted twice shown once and a note just seen not shown
 * again (Mastodon's reblog falloff), what the owner keeps away (blocks, mutes, domain
 * blocks), exclusive lists, the `home` filters, and the boosts' query plan.
 */
import { describe, expect, it } from "vitest";
import { accountId, boostId, noteId } from "../src/mastodon/ids";
import { runBatch } from "../src/storage/db";
import { blockDomainStatement, blockStatement, muteStatement } from "../src/storage/safety";
import { actors, notes, reactions } from "../src/storage/schema";
import { homeTimeline, REBLOG_FALLOFF } from "../src/storage/timeline";
import { api, db, OWNER, plansOf, seedFollow, seedNote, tick } from "./helpers";
import { json } from "./support/sorting";

interface Status {
  id: string;
  uri: string;
  content: string;
  account: { acct: string };
  reblog: { id: string; uri: string; account: { acct: string } } | null;
  filtered?: { filter: { title: string; filter_action: string } }[];
}

const HOME = "/v1/timelines/home";
const home = async (query = "?limit=40") => json<Status[]>(api(`${HOME}${query}`));

let serial = 0;

const apiIds = new Map<string, string>();

/** A remote account on its own host, as the inbox stores one; its actor id. */
async function account(name: string, host = `${name}.home.test`): Promise<string> {
  const id = `https://${host}/users/${name}`;
  const [row] = await db()
    .insert(actors)
    .values({
      id,
      type: "Person",
      preferredUsername: name,
      domain: host,
      inbox: `${id}/inbox`,
      fetchedAt: new Date(),
      createdAt: tick(),
    })
    .returning();
  if (row === undefined) throw new Error("actor not stored");
  apiIds.set(id, accountId(row));
  return id;
}

/** A public note by `author`, stored now (or `published` then); its IRI and status id. */
async function post(author: string, published = tick()) {
  serial += 1;
  const id = `${author}/notes/${serial}`;
  const [row] = await db()
    .insert(notes)
    .values({
      id,
      attributedTo: author,
      content: `<p>post ${serial}</p>`,
      visibility: "public",
      published,
    })
    .returning();
  if (row === undefined) throw new Error("note not stored");
  return { id, statusId: noteId(row) };
}

/** `actor` boosts a note, now; the boost's status id. */
async function boost(actor: string, note: string): Promise<string> {
  serial += 1;
  const [row] = await db()
    .insert(reactions)
    .values({
      id: `${actor}/boosts/${serial}`,
      type: "Announce",
      actor,
      object: note,
      createdAt: tick(),
    })
    .returning();
  if (row === undefined) throw new Error("boost not stored");
  return boostId(row);
}

const ada = await account("ada"); // followed
const bob = await account("bob"); // followed
const cyd = await account("cyd"); // not followed
const dan = await account("dan"); // not followed, never kept away
for (const followed of [ada, bob]) await seedFollow(followed, OWNER);

describe("boosts in the home timeline", () => {
  it("shows a followed account's boost as a reblog, at the boost's place", async () => {
    const old = await post(cyd);
    const mine = await seedNote();
    const byAda = await boost(ada, old.id);
    const byCyd = await boost(cyd, mine.id);
    const body = await home();
    expect(body[0]).toMatchObject({
      id: byAda,
      account: { acct: "ada@ada.home.test" },
      content: "",
      reblog: { id: old.statusId, uri: old.id, account: { acct: "cyd@cyd.home.test" } },
    });
    // An account the owner does not follow boosts nothing into it; its note is not there.
    expect(body.map((s) => s.id)).not.toContain(byCyd);
    expect(body.map((s) => s.id)).not.toContain(old.statusId);
  });

  it("shows the owner's own boosts", async () => {
    const note = await post(cyd);
    const mine = await boost(OWNER, note.id);
    const [first] = await home();
    expect(first).toMatchObject({ id: mine, reblog: { id: note.statusId } });
  });

  it("shows a note boosted twice once, at its first boost", async () => {
    const note = await post(cyd);
    const first = await boost(ada, note.id);
    const second = await boost(bob, note.id);
    const ids = (await home()).map((s) => s.id);
    expect(ids).toContain(first);
    expect(ids).not.toContain(second);
    expect(ids.indexOf(first)).toBe(0);
  });

  it("does not show a boost of a note it showed just before, but does once the note is far down", async () => {
    const recent = await post(bob);
    const soon = await boost(ada, recent.id);
    expect((await home()).map((s) => s.id)).not.toContain(soon);
    const far = await post(bob);
    for (let n = 0; n < REBLOG_FALLOFF; n++) await post(ada);
    const late = await boost(ada, far.id);
    const body = await home("?limit=1");
    expect(body[0]).toMatchObject({ id: late, reblog: { id: far.statusId } });
  });

  it("orders entries by their ids: a note stored late with an old date stays at its date", async () => {
    const before = (await home("?limit=5")).map((s) => s.id);
    // Fetched now as a thread's context, published long ago.
    const old = await post(ada, new Date(Date.parse("2025-01-01T00:00:00Z")));
    const after = (await home("?limit=5")).map((s) => s.id);
    expect(after).toEqual(before);
    const older = await home(`?max_id=${BigInt(old.statusId) + 1n}&limit=1`);
    expect(older.map((s) => s.id)).toEqual([old.statusId]);
  });

  it("pages through notes and boosts alike, with no duplicates and no gaps", async () => {
    const all = await home("?limit=40");
    const seen: string[] = [];
    let query = "?limit=3";
    for (let pages = 0; pages < 20 && seen.length < 40; pages++) {
      const res = await api(`${HOME}${query}`);
      const body = (await res.json()) as Status[];
      if (body.length === 0) break;
      seen.push(...body.map((s) => s.id));
      query = `?limit=3&max_id=${body.at(-1)?.id}`;
    }
    expect(seen.slice(0, 40)).toEqual(all.map((s) => s.id));
    expect(all.some((s) => s.reblog !== null)).toBe(true);
    // Newer pages (min_id) read the same entries the other way.
    const oldest = all.at(-1)?.id;
    const up = await home(`?min_id=${oldest}&limit=40`);
    expect(up.map((s) => s.id)).toEqual(
      all
        .slice(0, -1)
        .map((s) => s.id)
        .slice(-40),
    );
  });
});

describe("what the owner keeps away", () => {
  it("leaves out the notes and boosts of blocked, muted and domain-blocked accounts", async () => {
    const [eve, fay, gus, hal] = [
      await account("eve"),
      await account("fay"),
      await account("gus", "gus.blocked.test"),
      await account("hal"),
    ];
    for (const followed of [eve, fay, gus, hal]) await seedFollow(followed, OWNER);
    const stranger = await post(cyd);
    const shown = [await post(eve), await post(fay), await post(gus), await post(hal)];
    const boosts = [
      await boost(eve, stranger.id),
      await boost(fay, (await post(cyd)).id),
      await boost(gus, (await post(cyd)).id),
    ];
    // A followed account's boost of a blocked account's note.
    const blockedAuthor = await post(cyd);
    const boostOfBlocked = await boost(hal, blockedAuthor.id);
    const before = (await home()).map((s) => s.id);
    for (const id of [...shown.map((n) => n.statusId), ...boosts, boostOfBlocked]) {
      expect(before).toContain(id);
    }
    const at = new Date();
    await runBatch(db(), [
      blockStatement(db(), { actor: eve, activityId: `${OWNER}#blocks/1`, at }),
      muteStatement(db(), { actor: fay, notifications: false, expiresAt: null, at }),
      blockDomainStatement(db(), "gus.blocked.test", at),
      blockStatement(db(), { actor: cyd, activityId: `${OWNER}#blocks/2`, at }),
    ]);
    const after = (await home()).map((s) => s.id);
    for (const id of [shown[0], shown[1], shown[2]].map((n) => n?.statusId)) {
      expect(after).not.toContain(id);
    }
    for (const id of [...boosts, boostOfBlocked]) expect(after).not.toContain(id);
    expect(after).toContain(shown[3]?.statusId);
  });

  it("shows a muted account again once its mute has ended, not while it lasts", async () => {
    const [ivy, ike] = [await account("ivy"), await account("ike")];
    for (const followed of [ivy, ike]) await seedFollow(followed, OWNER);
    const [note, lasting] = [await post(ivy), await post(ike)];
    // Boosts of a note by an account never kept away (`dan`).
    const [boosted, boostedWhileMuted] = [
      await boost(ivy, (await post(dan)).id),
      await boost(ike, (await post(dan)).id),
    ];
    const [ended, ends] = [new Date(Date.now() - 1000), new Date(Date.now() + 60_000)];
    await runBatch(db(), [
      muteStatement(db(), { actor: ivy, notifications: true, expiresAt: ended, at: tick() }),
      muteStatement(db(), { actor: ike, notifications: true, expiresAt: ends, at: tick() }),
    ]);
    const shown = (await home()).map((s) => s.id);
    expect(shown).toContain(note.statusId);
    expect(shown).toContain(boosted);
    expect(shown).not.toContain(lasting.statusId);
    expect(shown).not.toContain(boostedWhileMuted);
  });

  it("leaves out the members of an exclusive list, not those of another list", async () => {
    const [jo, kim] = [await account("jo"), await account("kim")];
    for (const followed of [jo, kim]) await seedFollow(followed, OWNER);
    const [byJo, byKim] = [await post(jo), await post(kim)];
    const joBoost = await boost(jo, (await post(dan)).id);
    const [joId, kimId] = [apiIds.get(jo), apiIds.get(kim)];
    const exclusive = await json<{ id: string }>(
      api("/v1/lists", { body: { title: "Jo", exclusive: true } }),
    );
    const open = await json<{ id: string }>(api("/v1/lists", { body: { title: "Kim" } }));
    await json(api(`/v1/lists/${exclusive.id}/accounts`, { body: { account_ids: [joId] } }));
    await json(api(`/v1/lists/${open.id}/accounts`, { body: { account_ids: [kimId] } }));
    const after = (await home()).map((s) => s.id);
    expect(after).not.toContain(byJo.statusId);
    expect(after).not.toContain(joBoost);
    expect(after).toContain(byKim.statusId);
  });
});

describe("filters", () => {
  it("drops what a home hide filter matches, marks what a warn filter matches, and still links on", async () => {
    const lou = await account("lou");
    await seedFollow(lou, OWNER);
    const spoiler = `${dan}/notes/spoiler`;
    await db().insert(notes).values({
      id: spoiler,
      attributedTo: dan,
      content: "<p>the finale was great</p>",
      visibility: "public",
      published: tick(),
    });
    const warned = `${lou}/notes/warned`;
    await db().insert(notes).values({
      id: warned,
      attributedTo: lou,
      content: "<p>about politics</p>",
      visibility: "public",
      published: tick(),
    });
    const boosted = await boost(lou, spoiler);
    await json(
      api("/v2/filters", {
        body: {
          title: "Spoilers",
          context: ["home"],
          filter_action: "hide",
          keywords_attributes: [{ keyword: "finale" }],
        },
      }),
    );
    await json(
      api("/v2/filters", {
        body: {
          title: "Politics",
          context: ["home"],
          filter_action: "warn",
          keywords_attributes: [{ keyword: "politics" }],
        },
      }),
    );
    await json(
      api("/v2/filters", {
        body: {
          title: "Elsewhere",
          context: ["notifications"],
          filter_action: "hide",
          keywords_attributes: [{ keyword: "about" }],
        },
      }),
    );
    const body = await home();
    expect(body.map((s) => s.uri)).not.toContain(spoiler);
    expect(body.map((s) => s.id)).not.toContain(boosted);
    const warning = body.find((s) => s.uri === warned);
    expect(warning?.filtered).toEqual([
      expect.objectContaining({
        filter: expect.objectContaining({ title: "Politics", filter_action: "warn" }),
      }),
    ]);
    // A page the filters emptied still links to the next.
    const res = await api(`${HOME}?limit=1`);
    expect(await res.json()).toEqual([]);
    expect(res.headers.get("Link")).toMatch(/rel="next"/);
  });
});

describe("the boosts' query", () => {
  it("walks the boosts by id from the cursor through their own index, each booster's follow by key", async () => {
    for (const request of [
      { limit: 20 },
      { maxId: 1n << 62n, limit: 20 },
      { minId: 10n, limit: 20 },
    ]) {
      const plans = await plansOf((d) =>
        homeTimeline(d, { owner: OWNER, now: new Date() }, request),
      );
      const plan = plans[1]?.join("\n") ?? "";
      expect(plan).toMatch(
        /^(SCAN|SEARCH) reactions USING (COVERING )?INDEX reactions_boosts_idx/m,
      );
      expect(plan).toMatch(/SEARCH notes USING INDEX notes_id_unique \(id=\?\)/);
      expect(plan).toMatch(/SEARCH follows USING (COVERING )?INDEX follows_edge_unique/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
      expect(plan).not.toMatch(
        /^SCAN (?!reactions USING (COVERING )?INDEX reactions_boosts_idx)\w+/m,
      );
    }
  });
});
