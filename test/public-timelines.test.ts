/**
 * The public timelines (`GET /api/v1/timelines/public`, `/api/v1/timelines/tag/:hashtag`):
 * public notes only, no replies but to oneself on the public one, `local`, `remote`,
 * `only_media`, a hashtag's `any[]`, `all[]`, `none[]`, what the owner keeps away, the
 * `public` filters, paging, refusals and the queries' plans.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { noteId } from "../src/mastodon/ids";
import { runBatch } from "../src/storage/db";
import { publicTimeline, tagTimeline } from "../src/storage/public-timelines";
import { blockDomainStatement, muteStatement } from "../src/storage/safety";
import {
  actors,
  type NoteAttachment,
  notes,
  noteTags,
  type Visibility,
} from "../src/storage/schema";
import { api, db, linksOf, OWNER, plansOf, seedNote, tick } from "./helpers";
import { json } from "./support/sorting";

interface Status {
  id: string;
  uri: string;
  reblog: unknown;
  filtered?: { filter: { title: string } }[];
}

const ids = async (path: string) => (await json<Status[]>(api(path))).map((s) => s.id);

/** A remote account on a host of its own; its id. */
async function account(name: string): Promise<string> {
  const id = `https://${name}.pub.test/users/${name}`;
  await db()
    .insert(actors)
    .values({
      id,
      type: "Person",
      preferredUsername: name,
      domain: `${name}.pub.test`,
      inbox: `${id}/inbox`,
      fetchedAt: new Date(),
      createdAt: tick(),
    });
  return id;
}

let serial = 0;

/** A note by a remote account, as the inbox stores one; its IRI and status id. */
async function post(
  author: string,
  options: {
    visibility?: Visibility;
    inReplyTo?: string;
    tags?: readonly string[];
    media?: boolean;
    content?: string;
  } = {},
) {
  serial += 1;
  const id = `${author}/notes/${serial}`;
  const attachments: NoteAttachment[] = options.media
    ? [{ type: "Document", mediaType: "image/png", url: `${author}/media/${serial}.png` }]
    : [];
  const [row] = await db()
    .insert(notes)
    .values({
      id,
      attributedTo: author,
      inReplyTo: options.inReplyTo ?? null,
      content: options.content ?? `<p>post ${serial}</p>`,
      visibility: options.visibility ?? "public",
      attachments,
      published: tick(),
    })
    .returning();
  if (row === undefined) throw new Error("note not stored");
  for (const name of options.tags ?? []) {
    await db().insert(noteTags).values({ noteSeq: row.seq, type: "Hashtag", name, href: null });
  }
  return { id, statusId: noteId(row) };
}

const [ann, bo, cy] = [await account("ann"), await account("bo"), await account("cy")];
const mine = await seedNote();
const mineUnlisted = await seedNote({ visibility: "unlisted" });
const annPublic = await post(ann);
const annUnlisted = await post(ann, { visibility: "unlisted" });
const annPrivate = await post(ann, { visibility: "private" });
const annDirect = await post(ann, { visibility: "direct" });
const boReply = await post(bo, { inReplyTo: annPublic.id });
const annThread = await post(ann, { inReplyTo: annPublic.id });
const boMedia = await post(bo, { media: true });
const deleted = await post(bo);
await db().update(notes).set({ deletedAt: new Date() }).where(eq(notes.id, deleted.id));

describe("the public timeline", () => {
  it("holds the public notes stored, newest first, but replies to others", async () => {
    const list = await ids("/v1/timelines/public?limit=40");
    expect(list).toEqual([boMedia, annThread, annPublic, mine].map((n) => n.statusId));
    for (const hidden of [mineUnlisted, annUnlisted, annPrivate, annDirect, boReply, deleted]) {
      expect(list).not.toContain(hidden.statusId);
    }
  });

  it("keeps the owner's alone with local, the others' with remote, media with only_media", async () => {
    expect(await ids("/v1/timelines/public?local=true")).toEqual([mine.statusId]);
    expect(await ids("/v1/timelines/public?remote=1")).toEqual(
      [boMedia, annThread, annPublic].map((n) => n.statusId),
    );
    expect(await ids("/v1/timelines/public?only_media=true")).toEqual([boMedia.statusId]);
    expect(await ids("/v1/timelines/public?local=false&only_media=0")).toHaveLength(4);
  });

  it("pages with Link headers that keep the filters", async () => {
    const res = await api("/v1/timelines/public?remote=true&limit=2");
    const first = (await res.json()) as Status[];
    expect(first.map((s) => s.id)).toEqual([boMedia, annThread].map((n) => n.statusId));
    const links = linksOf(res);
    expect(links.next).toBe(
      `https://outpost.test/api/v1/timelines/public?limit=2&remote=true&max_id=${annThread.statusId}`,
    );
    expect(await ids(links.next ?? "")).toEqual([annPublic.statusId]);
    expect(await ids(`/v1/timelines/public?local=true&min_id=0`)).toEqual([mine.statusId]);
    expect(await ids(`/v1/timelines/public?local=true&max_id=${mine.statusId}`)).toEqual([]);
  });

  it("leaves out what the owner keeps away, and what a public hide filter matches", async () => {
    const [muted, blocked] = [await post(cy), await post(await account("dee"))];
    await post(bo, { content: "<p>no spoilers please</p>" });
    await runBatch(db(), [
      muteStatement(db(), { actor: cy, notifications: false, expiresAt: null, at: new Date() }),
      blockDomainStatement(db(), "dee.pub.test", new Date()),
    ]);
    await json(
      api("/v2/filters", {
        body: {
          title: "Spoilers",
          context: ["public"],
          filter_action: "hide",
          keywords_attributes: [{ keyword: "spoilers" }],
        },
      }),
    );
    const list = await json<Status[]>(api("/v1/timelines/public?limit=40"));
    expect(list.map((s) => s.id)).not.toContain(muted.statusId);
    expect(list.map((s) => s.id)).not.toContain(blocked.statusId);
    expect(list.map((s) => s.id)[0]).toBe(boMedia.statusId);
  });

  it("refuses a malformed cursor", async () => {
    expect((await api("/v1/timelines/public?max_id=x")).status).toBe(400);
    expect((await api("/v1/timelines/tag/cats?since_id=-1")).status).toBe(400);
  });
});

describe("a hashtag's timeline", () => {
  const tagged = {
    cats: [] as string[],
  };
  it("holds the public notes with the hashtag, any of any[], all of all[], none of none[]", async () => {
    const a = await post(ann, { tags: ["cats"] });
    const b = await post(bo, { tags: ["cats", "dogs"] });
    const c = await post(ann, { tags: ["dogs"] });
    const d = await post(ann, { tags: ["cats"], visibility: "unlisted" });
    const e = await post(bo, { tags: ["cats", "birds"], inReplyTo: a.id });
    const mineTagged = await seedNote({ tags: ["cats"] });
    tagged.cats = [mineTagged, e, b, a].map((n) => n.statusId);
    expect(await ids("/v1/timelines/tag/cats")).toEqual(tagged.cats);
    // The hashtag as written: any case, with its `#`.
    expect(await ids("/v1/timelines/tag/Cats")).toEqual(tagged.cats);
    expect(await ids(`/v1/timelines/tag/${encodeURIComponent("#CATS")}`)).toEqual(tagged.cats);
    expect(await ids("/v1/timelines/tag/cats?any[]=dogs")).toEqual(
      [mineTagged, e, c, b, a].map((n) => n.statusId),
    );
    expect(await ids("/v1/timelines/tag/cats?all[]=dogs")).toEqual([b.statusId]);
    expect(await ids("/v1/timelines/tag/cats?none[]=dogs&none[]=birds")).toEqual(
      [mineTagged, a].map((n) => n.statusId),
    );
    expect(await ids("/v1/timelines/tag/cats?local=true")).toEqual([mineTagged.statusId]);
    expect(await ids("/v1/timelines/tag/cats?remote=true&limit=1")).toEqual([e.statusId]);
    expect(await ids("/v1/timelines/tag/dogs")).not.toContain(d.statusId);
  });

  it("pages with Link headers that keep its lists, and finds nothing for a hashtag that cannot be one", async () => {
    const res = await api("/v1/timelines/tag/cats?limit=2&none[]=birds");
    expect(((await res.json()) as Status[]).length).toBe(2);
    const { next } = linksOf(res);
    expect(next).toMatch(
      /^https:\/\/outpost\.test\/api\/v1\/timelines\/tag\/cats\?limit=2&none%5B%5D=birds&max_id=\d+$/,
    );
    expect((await ids(next ?? "")).length).toBe(1);
    expect(await ids("/v1/timelines/tag/no%20such")).toEqual([]);
    expect(await ids("/v1/timelines/tag/unheard")).toEqual([]);
  });
});

describe("the queries' plans", () => {
  const query = { owner: OWNER, now: new Date() };
  it("walks the notes by id, the owner's by their author index, a hashtag's by its name", async () => {
    const all = (await plansOf((d) => publicTimeline(d, query, { limit: 20 }))).flat().join("\n");
    expect(all).toMatch(/^SCAN notes USING INDEX notes_api_id_idx$/m);
    expect(all).not.toMatch(/TEMP B-TREE/);
    const local = (
      await plansOf((d) =>
        publicTimeline(d, { ...query, local: true }, { limit: 20, maxId: 1n << 62n }),
      )
    )
      .flat()
      .join("\n");
    expect(local).toMatch(
      /^SEARCH notes USING INDEX notes_author_published_idx \(attributed_to=\?/m,
    );
    expect(local).not.toMatch(/TEMP B-TREE/);
    const tag = (
      await plansOf((d) =>
        tagTimeline(d, { ...query, any: ["cats"], all: ["dogs"], none: ["birds"] }, { limit: 20 }),
      )
    )
      .flat()
      .join("\n");
    expect(tag).toMatch(
      /SEARCH note_tags USING (COVERING )?INDEX note_tags_name_type_idx \(name=\? AND type=\?\)/,
    );
    expect(tag).toMatch(/SEARCH notes USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    expect(tag).not.toMatch(/^SCAN notes\b/m);
  });
});
