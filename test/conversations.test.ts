/**
 * The owner's direct conversations (`/api/v1/conversations`): kept by triggers whatever
 * writes the notes (the owner's API, the inbox, any statement), grouped by thread, each with
 * its participants, last status and unread state; read, removed and listed again by a newer
 * note; a note deleted leaving it; paging; refusals; the backfill of notes stored before; the
 * page's plan.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { noteId } from "../src/mastodon/ids";
import { conversationsPage } from "../src/storage/conversations";
import { actors, noteRecipients, notes, noteTags } from "../src/storage/schema";
import { conversationNotes, conversations } from "../src/storage/schema-conversations";
import { api, db, linksOf, ownerAccountId, plansOf, tick } from "./helpers";
import { OWNER, RemoteActor } from "./support/remote";
import { json } from "./support/sorting";

interface Conversation {
  id: string;
  unread: boolean;
  accounts: { id: string; acct: string; uri: string }[];
  last_status: { id: string; uri: string; visibility: string } | null;
}

const list = async (query = "") => json<Conversation[]>(api(`/v1/conversations${query}`));

/** A remote account, stored; its id. */
async function account(name: string): Promise<string> {
  const id = `https://${name}.dm.test/users/${name}`;
  await db()
    .insert(actors)
    .values({
      id,
      type: "Person",
      preferredUsername: name,
      domain: `${name}.dm.test`,
      inbox: `${id}/inbox`,
      fetchedAt: new Date(),
      createdAt: tick(),
    });
  return id;
}

let serial = 0;
/** Times that follow each other and now: notes written through the API are dated now. */
let clock = Date.now();
const next = () => {
  clock = Math.max(clock + 1, Date.now());
  return new Date(clock);
};

/**
 * A direct note stored as the inbox or the owner's posting stores one: by `author`, to
 * `to` (addressed and mentioned), answering `inReplyTo`; its IRI and status id.
 */
async function dm(input: { author: string; to: readonly string[]; inReplyTo?: string }) {
  serial += 1;
  const id = `${input.author}/dm/${serial}`;
  const [row] = await db()
    .insert(notes)
    .values({
      id,
      attributedTo: input.author,
      inReplyTo: input.inReplyTo ?? null,
      content: `<p>dm ${serial}</p>`,
      visibility: "direct",
      published: next(),
    })
    .returning();
  if (row === undefined) throw new Error("note not stored");
  for (const to of input.to) {
    await db().insert(noteRecipients).values({ noteSeq: row.seq, recipient: to, field: "to" });
    await db()
      .insert(noteTags)
      .values({ noteSeq: row.seq, type: "Mention", name: to.split("/").pop() ?? to, href: to });
  }
  return { id, seq: row.seq, statusId: noteId(row) };
}

const ana = await account("ana");
const bea = await account("bea");

describe("conversations", () => {
  it("groups a thread of direct notes, newest first, with the others in it and its last status", async () => {
    const first = await dm({ author: OWNER, to: [ana] });
    const reply = await dm({ author: ana, to: [OWNER], inReplyTo: first.id });
    const other = await dm({ author: bea, to: [OWNER] });
    const [newest, older] = await list();
    expect(newest).toMatchObject({
      unread: true,
      accounts: [{ uri: bea }],
      last_status: { id: other.statusId, visibility: "direct" },
    });
    expect(older).toMatchObject({
      unread: true,
      accounts: [{ uri: ana }],
      last_status: { id: reply.statusId },
    });
    // The owner answering reads it.
    const answer = await dm({ author: OWNER, to: [ana], inReplyTo: reply.id });
    const [top] = await list();
    expect(top).toMatchObject({
      id: older?.id,
      unread: false,
      last_status: { id: answer.statusId },
    });
  });

  it("holds no public note, and a note to oneself shows the owner", async () => {
    const before = (await list()).length;
    const res = await api("/v1/statuses", { body: { status: "public", visibility: "public" } });
    expect(res.status).toBe(200);
    expect(await list()).toHaveLength(before);
    const mine = await json<{ id: string }>(
      api("/v1/statuses", { body: { status: "note to self", visibility: "direct" } }),
    );
    const [top] = await list();
    expect(top).toMatchObject({
      unread: false,
      accounts: [{ id: await ownerAccountId() }],
      last_status: { id: mine.id },
    });
  });

  it("holds a direct note received in the inbox", async () => {
    const sender = await RemoteActor.create({ host: "dm-inbox.test", username: "cid" });
    const note = sender.note("<p>psst</p>", {
      to: [OWNER],
      cc: [],
      tag: [{ type: "Mention", href: OWNER, name: "@owner@outpost.test" }],
    });
    const sent = await sender.send(sender.activity("Create", note, { to: [OWNER], cc: [] }));
    expect(sent.status).toBe(202);
    const [top] = await list();
    expect(top).toMatchObject({ unread: true, last_status: { uri: note.id } });
    expect(top?.accounts.map((a) => a.uri)).toEqual([sender.id]);
  });

  it("marks one read, until a newer note by another comes", async () => {
    const start = await dm({ author: bea, to: [OWNER] });
    const [top] = await list();
    expect(top).toMatchObject({ unread: true, last_status: { id: start.statusId } });
    const read = await json<Conversation>(
      api(`/v1/conversations/${top?.id}/read`, { method: "POST" }),
    );
    expect(read).toMatchObject({ id: top?.id, unread: false, last_status: { id: start.statusId } });
    expect((await list())[0]?.unread).toBe(false);
    await dm({ author: bea, to: [OWNER], inReplyTo: start.id });
    expect((await list())[0]).toMatchObject({ id: top?.id, unread: true });
  });

  it("removes one from the list until a newer note joins it", async () => {
    const start = await dm({ author: ana, to: [OWNER] });
    const [top] = await list();
    expect(top?.last_status?.id).toBe(start.statusId);
    expect(await json(api(`/v1/conversations/${top?.id}`, { method: "DELETE" }))).toEqual({});
    expect((await list()).map((c) => c.id)).not.toContain(top?.id);
    // Gone: neither read nor removed again.
    for (const [path, method] of [
      [`/v1/conversations/${top?.id}/read`, "POST"],
      [`/v1/conversations/${top?.id}`, "DELETE"],
    ] as const) {
      expect((await api(path, { method })).status).toBe(404);
    }
    const again = await dm({ author: ana, to: [OWNER], inReplyTo: start.id });
    expect((await list())[0]).toMatchObject({
      id: top?.id,
      unread: true,
      last_status: { id: again.statusId },
    });
  });

  it("shows the note before when its last note is deleted, and goes with its last", async () => {
    const first = await dm({ author: bea, to: [OWNER] });
    const second = await dm({ author: bea, to: [OWNER], inReplyTo: first.id });
    const [top] = await list();
    expect(top?.last_status?.id).toBe(second.statusId);
    await db().update(notes).set({ deletedAt: new Date() }).where(eq(notes.id, second.id));
    expect((await list()).find((c) => c.id === top?.id)?.last_status?.id).toBe(first.statusId);
    await db().delete(notes).where(eq(notes.id, first.id));
    expect((await list()).map((c) => c.id)).not.toContain(top?.id);
    const left = await db()
      .select()
      .from(conversations)
      .where(eq(conversations.seq, Number(top?.id)));
    expect(left).toEqual([]);
  });

  it("pages by the last statuses' ids, with Link headers", async () => {
    const all = await list("?limit=40");
    expect(all.length).toBeGreaterThan(3);
    const res = await api("/v1/conversations?limit=2");
    const page = (await res.json()) as Conversation[];
    expect(page.map((c) => c.id)).toEqual(all.slice(0, 2).map((c) => c.id));
    const links = linksOf(res);
    expect(links.next).toBe(
      `https://outpost.test/api/v1/conversations?limit=2&max_id=${page[1]?.last_status?.id}`,
    );
    expect(links.prev).toBe(
      `https://outpost.test/api/v1/conversations?limit=2&min_id=${page[0]?.last_status?.id}`,
    );
    const next = await json<Conversation[]>(api(links.next ?? ""));
    expect(next.map((c) => c.id)).toEqual(all.slice(2, 4).map((c) => c.id));
    const back = await json<Conversation[]>(
      api(`/v1/conversations?limit=2&min_id=${page[1]?.last_status?.id}`),
    );
    expect(back.map((c) => c.id)).toEqual(all.slice(0, 1).map((c) => c.id));
  });

  it("refuses an id it does not hold and a bad cursor", async () => {
    for (const id of ["999999", "abc"]) {
      expect((await api(`/v1/conversations/${id}/read`, { method: "POST" })).status).toBe(404);
      expect((await api(`/v1/conversations/${id}`, { method: "DELETE" })).status).toBe(404);
    }
    expect((await api("/v1/conversations?max_id=abc")).status).toBe(400);
  });
});

describe("the direct notes stored before", () => {
  it("are put into conversations by the migration, read", async () => {
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0025_"));
    const backfill = (migration?.queries ?? []).filter((q) => !q.includes("CREATE TRIGGER"));
    expect(backfill.length).toBeGreaterThan(2);
    const before = await db().select().from(conversations);
    const mapped = await db().select().from(conversationNotes);
    await db().delete(conversationNotes);
    await db().delete(conversations);
    for (const query of backfill) await env.DB.prepare(query).run();
    const after = await db().select().from(conversations);
    const key = (c: { root: string; lastNoteSeq: number; lastStatusId: number }) =>
      [c.root, c.lastNoteSeq, c.lastStatusId].join(" ");
    expect(after.map(key).sort()).toEqual(before.map(key).sort());
    for (const c of after) expect(c.readUpTo).toBe(c.lastStatusId);
    expect((await db().select().from(conversationNotes)).length).toBe(mapped.length);
  });
});

describe("the page's query", () => {
  it("walks the conversations by their last status id, each note by key", async () => {
    for (const request of [
      { limit: 20 },
      { limit: 20, maxId: 1n << 62n },
      { limit: 20, minId: 1n },
    ]) {
      const plans = await plansOf((d) => conversationsPage(d, OWNER, request));
      const detail = plans.flat().join("\n");
      expect(detail).toMatch(
        /^(SCAN|SEARCH) conversations USING INDEX conversations_last_status_idx/m,
      );
      expect(detail).toMatch(/SEARCH notes USING INTEGER PRIMARY KEY \(rowid=\?\)/);
      expect(detail).not.toMatch(/TEMP B-TREE/);
    }
  });
});
