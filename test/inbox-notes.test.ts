/** Create, Update and Delete of notes and actors; likes and boosts; real-world shapes. */
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { actors, inbox, noteRecipients, notes, noteTags, reactions } from "../src/storage/schema";
import { db, seedFollow, seedNote } from "./helpers";
import { AS_CONTEXT, eventually, OWNER, PUBLIC, RemoteActor, serve } from "./support/remote";

const HOST = "notes.test";
const alice = await RemoteActor.create({ host: HOST, username: "alice", name: "Alice" });
const bob = await RemoteActor.create({ host: HOST, username: "bob" });
const followed = await RemoteActor.create({ host: "friends.notes.test", username: "friend" });
await seedFollow(followed.id, OWNER);

const noteById = async (id: string) => (await db().select().from(notes).where(eq(notes.id, id)))[0];
const mention = { type: "Mention", href: OWNER, name: "@owner@outpost.test" };

describe("Create", () => {
  it("stores a note that mentions the owner, sanitised, with its recipients and tags", async () => {
    const note = alice.note(
      `<p>Hi <a href="${OWNER}" class="u-url mention">@owner</a> <script>alert(1)</script><img src=x onerror=alert(1)> #Art</p>`,
      {
        cc: [`${alice.id}/followers`, OWNER],
        tag: [mention, { type: "Hashtag", name: "#Art", href: "https://notes.test/tags/art" }],
        sensitive: true,
        summary: "cw",
      },
    );
    expect((await alice.send(alice.activity("Create", note))).status).toBe(202);
    const row = await noteById(note.id as string);
    expect(row).toMatchObject({
      type: "Note",
      attributedTo: alice.id,
      visibility: "public",
      sensitive: true,
      summary: "cw",
    });
    expect(row?.content).not.toMatch(/script|onerror|<img/);
    expect(row?.content).toContain('class="u-url mention"');
    const recipients = await db()
      .select()
      .from(noteRecipients)
      .where(eq(noteRecipients.noteSeq, row?.seq ?? -1));
    expect(recipients.map((r) => [r.field, r.recipient]).sort()).toEqual(
      [
        ["cc", OWNER],
        ["cc", `${alice.id}/followers`],
        ["to", PUBLIC],
      ].sort(),
    );
    const tags = await db()
      .select()
      .from(noteTags)
      .where(eq(noteTags.noteSeq, row?.seq ?? -1));
    expect(tags.map((t) => [t.type, t.name]).sort()).toEqual([
      ["Hashtag", "art"],
      ["Mention", "owner@outpost.test"],
    ]);
  });

  it("keeps a note of someone the owner follows, and skips a stranger's note (acknowledged all the same)", async () => {
    const fromFriend = followed.note("<p>hello followers</p>");
    const fromStranger = bob.note("<p>not for you</p>");
    const create = bob.activity("Create", fromStranger);
    expect((await followed.send(followed.activity("Create", fromFriend))).status).toBe(202);
    expect((await bob.send(create)).status).toBe(202);
    expect(await noteById(fromFriend.id as string)).toBeDefined();
    expect(await noteById(fromStranger.id as string)).toBeUndefined();
    expect(
      (
        await db()
          .select()
          .from(inbox)
          .where(eq(inbox.id, create.id as string))
      ).length,
    ).toBe(1);
  });

  it("does not let a server create notes in someone else's name", async () => {
    const note = { ...bob.note("<p>forged</p>", { tag: [mention] }), attributedTo: alice.id };
    expect((await bob.send(bob.activity("Create", note))).status).toBe(202);
    expect(await noteById(note.id as string)).toBeUndefined();
  });

  it("stores a direct message with direct visibility, and a reply to the owner's note", async () => {
    const dm = alice.note("<p>psst</p>", { to: [OWNER], cc: [], tag: [mention] });
    await alice.send(alice.activity("Create", dm));
    expect(await noteById(dm.id as string)).toMatchObject({ visibility: "direct" });

    const ours = await seedNote();
    const reply = bob.note("<p>a reply</p>", { inReplyTo: ours.id });
    await bob.send(bob.activity("Create", reply));
    expect(await noteById(reply.id as string)).toMatchObject({ inReplyTo: ours.id });
  });

  it("fetches from the queue a note given only by URL, then marks the activity processed", async () => {
    const note = alice.note("<p>by reference</p>", { tag: [mention] });
    await serve({ url: note.id as string, body: { "@context": AS_CONTEXT, ...note } });
    const create = alice.activity("Create", note.id);
    expect((await alice.send(create)).status).toBe(202);
    const [pending] = await db()
      .select()
      .from(inbox)
      .where(eq(inbox.id, create.id as string));
    expect(pending?.processedAt).toBeNull();
    const stored = await eventually(() => noteById(note.id as string));
    expect(stored.content).toBe("<p>by reference</p>");
    await eventually(async () => {
      const [row] = await db()
        .select()
        .from(inbox)
        .where(eq(inbox.id, create.id as string));
      return row?.processedAt ?? undefined;
    });
  });

  it("fetches, from the queue, the remote note a stored reply answers", async () => {
    const parent = bob.note("<p>the parent</p>");
    await serve({ url: parent.id as string, body: { "@context": AS_CONTEXT, ...parent } });
    const reply = alice.note("<p>reply</p>", { inReplyTo: parent.id, tag: [mention] });
    expect((await alice.send(alice.activity("Create", reply))).status).toBe(202);
    expect(await noteById(reply.id as string)).toBeDefined();
    const fetched = await eventually(() => noteById(parent.id as string));
    expect(fetched).toMatchObject({ attributedTo: bob.id, content: "<p>the parent</p>" });
  });

  it.each(["Question", "Article", "Page", "Video"])("stores a %s like a note", async (type) => {
    const object = { ...alice.note(`<p>${type}</p>`, { tag: [mention] }), type, name: `A ${type}` };
    if (type === "Question") Object.assign(object, { oneOf: [{ type: "Note", name: "yes" }] });
    await alice.send(alice.activity("Create", object));
    expect(await noteById(object.id as string)).toMatchObject({ type });
  });

  it("acknowledges and skips objects it does not store", async () => {
    const offer = { id: alice.newId("offers"), type: "Offer", attributedTo: alice.id, to: [OWNER] };
    const res = await alice.send(alice.activity("Create", offer));
    expect(res.status).toBe(202);
    expect(await noteById(offer.id)).toBeUndefined();
  });
});

describe("real-world shapes", () => {
  it("reads to, cc, tag, attachment and url given as a string, an object or a list", async () => {
    const note = {
      id: alice.newId("notes"),
      type: "Note",
      attributedTo: [{ type: "Person", id: alice.id }],
      content: "<p>shapes</p>",
      to: PUBLIC,
      cc: { id: OWNER, type: "Person" },
      tag: mention,
      attachment: {
        type: "Document",
        mediaType: "image/png",
        url: "https://notes.test/a.png",
        name: "alt",
      },
      url: [
        { type: "Link", mediaType: "application/activity+json", href: "https://notes.test/x.json" },
        { type: "Link", mediaType: "text/html", href: "https://notes.test/x" },
      ],
    };
    const create = {
      ...alice.activity("Create", note),
      "@context": { "@vocab": "https://www.w3.org/ns/activitystreams#" },
    };
    expect((await alice.send(create)).status).toBe(202);
    expect(await noteById(note.id)).toMatchObject({
      visibility: "public",
      url: "https://notes.test/x",
      attachments: [
        { type: "Document", mediaType: "image/png", url: "https://notes.test/a.png", name: "alt" },
      ],
    });
  });

  it("reads contentMap without content, and shows Misskey's HTML rather than its MFM source", async () => {
    const mapped = {
      ...alice.note("", { tag: [mention] }),
      content: undefined,
      contentMap: { ja: "<p>こんにちは</p>" },
    };
    await alice.send(alice.activity("Create", mapped));
    expect(await noteById(mapped.id as string)).toMatchObject({
      content: "<p>こんにちは</p>",
      language: "ja",
    });

    const misskey = {
      ...alice.note("<p><span>hello</span> <b>world</b></p>", { tag: [mention] }),
      _misskey_content: "hello **world**",
    };
    await alice.send({
      ...alice.activity("Create", misskey),
      "@context": [AS_CONTEXT, { misskey: "https://misskey-hub.net/ns#" }],
    });
    expect((await noteById(misskey.id as string))?.content).toBe(
      "<p><span>hello</span> <b>world</b></p>",
    );
  });
});

describe("Update", () => {
  it("edits a stored note, only by its author", async () => {
    const note = alice.note("<p>first</p>", { tag: [mention] });
    await alice.send(alice.activity("Create", note));
    await bob.send(bob.activity("Update", { ...note, content: "<p>vandalised</p>" }));
    expect((await noteById(note.id as string))?.content).toBe("<p>first</p>");
    const edited = {
      ...note,
      content: "<p>second</p>",
      updated: new Date().toISOString(),
      tag: [],
    };
    expect((await alice.send(alice.activity("Update", edited))).status).toBe(202);
    const row = await noteById(note.id as string);
    expect(row?.content).toBe("<p>second</p>");
    expect(row?.updated).not.toBeNull();
    expect(
      await db()
        .select()
        .from(noteTags)
        .where(eq(noteTags.noteSeq, row?.seq ?? -1)),
    ).toEqual([]);
  });

  it("refreshes an actor's profile when the actor itself sends it, and not otherwise", async () => {
    await alice.send(alice.activity("Update", { ...alice.document, name: "Alice Renamed" }));
    const [row] = await db().select().from(actors).where(eq(actors.id, alice.id));
    expect(row?.name).toBe("Alice Renamed");
    await bob.send(bob.activity("Update", { ...alice.document, name: "Spoofed by Bob" }));
    const [after] = await db().select().from(actors).where(eq(actors.id, alice.id));
    expect(after?.name).toBe("Alice Renamed");
  });
});

describe("Delete", () => {
  it("turns a note into a tombstone, only by its author, in both shapes", async () => {
    const note = alice.note("<p>soon gone</p>", { tag: [mention] });
    const other = alice.note("<p>also gone</p>", { tag: [mention] });
    await alice.send(alice.activity("Create", note));
    await alice.send(alice.activity("Create", other));
    await bob.send(bob.activity("Delete", note.id));
    expect((await noteById(note.id as string))?.deletedAt).toBeNull();
    await alice.send(alice.activity("Delete", { id: note.id, type: "Tombstone" }));
    await alice.send(alice.activity("Delete", other.id));
    for (const id of [note.id, other.id]) {
      expect(await noteById(id as string)).toMatchObject({
        deletedAt: expect.any(Date),
        content: "",
      });
    }
  });

  it("of an actor by itself removes its notes, reactions and the actor", async () => {
    const temp = await RemoteActor.create({ host: HOST, username: "temp" });
    const note = temp.note("<p>bye</p>", { tag: [mention] });
    await temp.send(temp.activity("Create", note));
    await temp.send(temp.activity("Follow", OWNER));
    expect(await noteById(note.id as string)).toBeDefined();
    expect((await temp.send(temp.activity("Delete", temp.id))).status).toBe(202);
    expect(await noteById(note.id as string)).toBeUndefined();
    expect(await db().select().from(actors).where(eq(actors.id, temp.id))).toEqual([]);
  });
});

describe("likes and boosts", () => {
  const reactionsOf = (object: string, type: "Like" | "Announce") =>
    db()
      .select()
      .from(reactions)
      .where(and(eq(reactions.object, object), eq(reactions.type, type)));

  it("are stored once per actor and note, and undone in both shapes", async () => {
    const ours = await seedNote();
    const like = alice.activity("Like", ours.id);
    await alice.send(like);
    await alice.send(alice.activity("Like", ours.id));
    await bob.send(bob.activity("Like", ours.id));
    expect(await reactionsOf(ours.id, "Like")).toHaveLength(2);
    await alice.send(alice.activity("Undo", like));
    expect((await reactionsOf(ours.id, "Like")).map((r) => r.actor)).toEqual([bob.id]);

    const boost = bob.activity("Announce", ours.id, { to: [PUBLIC], cc: [`${bob.id}/followers`] });
    await bob.send(boost);
    expect(await reactionsOf(ours.id, "Announce")).toHaveLength(1);
    await bob.send(bob.activity("Undo", boost.id));
    expect(await reactionsOf(ours.id, "Announce")).toEqual([]);
  });

  it("of notes that are not the owner's are not kept, nor undone by others", async () => {
    const ours = await seedNote();
    await alice.send(alice.activity("Like", "https://elsewhere.test/notes/1"));
    expect(await reactionsOf("https://elsewhere.test/notes/1", "Like")).toEqual([]);
    const like = alice.activity("Like", ours.id);
    await alice.send(like);
    await bob.send(bob.activity("Undo", like));
    await bob.send(bob.activity("Undo", like.id));
    expect(await reactionsOf(ours.id, "Like")).toHaveLength(1);
  });
});

describe("unknown activity types", () => {
  it("are accepted, kept, and change nothing else", async () => {
    const react = alice.activity("EmojiReact", `${OWNER}/statuses/1`, { content: "🎉" });
    expect((await alice.send(react)).status).toBe(202);
    const [row] = await db()
      .select()
      .from(inbox)
      .where(eq(inbox.id, react.id as string));
    expect(row).toMatchObject({ type: "EmojiReact", sender: alice.id });
    expect(row?.processedAt).not.toBeNull();
  });
});
