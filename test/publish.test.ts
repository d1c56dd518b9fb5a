/** The owner publishes: the API, what is stored, and what each remote inbox receives. */
import { exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { notes, outbox } from "../src/storage/schema";
import { AP, api, db, get, OWNER_TOKEN, ownerAccountId, statusIdOf } from "./helpers";
import { got, ownerFollowers } from "./support/publish";
import { eventually, ORIGIN, OWNER, PUBLIC, RemoteActor, serve } from "./support/remote";

const TOKEN = OWNER_TOKEN;

async function post(body: Record<string, unknown>, headers?: Record<string, string>) {
  const res = await api("/v1/statuses", { body, headers });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as {
    id: string;
    uri: string;
    content: string;
    visibility: string;
    [k: string]: unknown;
  };
}

// Followers: two on one server (one shared inbox), one on a server without a shared inbox.
const { ann, bea } = await ownerFollowers({ shared: "pub-a.test", own: "pub-b.test" });
// Someone who does not follow, to mention.
const cid = await RemoteActor.create({ host: "pub-c.test", username: "cid" });
await cid.serveWebFinger();

const SHARED_A = "https://pub-a.test/inbox";
const OWNER_ID = await ownerAccountId();

describe("posting", { timeout: 20_000 }, () => {
  it("stores the note and its Create, and delivers one signed POST per shared inbox", async () => {
    const status = await post({ status: "Hello #Fediverse, from https://outpost.test" });
    expect(status).toMatchObject({ visibility: "public", account: { id: OWNER_ID } });
    expect(status.content).toContain(
      'class="mention hashtag" rel="tag">#<span>Fediverse</span></a>',
    );
    const [row] = await db().select().from(notes).where(eq(notes.id, status.uri));
    expect(row).toMatchObject({ attributedTo: OWNER, visibility: "public" });
    const [create] = await db()
      .select()
      .from(outbox)
      .where(eq(outbox.id, `${status.uri}/activity`));
    expect(create?.payload).toMatchObject({
      type: "Create",
      to: [PUBLIC],
      cc: [`${OWNER}/followers`],
    });

    // ann and abe share pub-a.test's inbox: one POST there; bea has only her own inbox.
    const [atA] = await eventually(async () => {
      const creates = await got(SHARED_A, "Create", status.uri);
      return creates.length > 0 ? creates : undefined;
    });
    expect(atA).toMatchObject({
      id: `${status.uri}/activity`,
      actor: OWNER,
      object: { id: status.uri, type: "Note" },
    });
    await eventually(async () => (await got(bea.inbox, "Create", status.uri)).length === 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(await got(SHARED_A, "Create", status.uri)).toHaveLength(1);
    expect(await got(ann.inbox, "Create", status.uri)).toHaveLength(0);
    expect(await got(bea.inbox, "Create", status.uri)).toHaveLength(1);
  });

  it("resolves a mention through WebFinger, links it, addresses and delivers to it", async () => {
    const status = await post({ status: "Hi @cid@pub-c.test!" });
    expect(status.content).toContain(
      `<a href="https://pub-c.test/@cid" class="u-url mention">@<span>cid</span></a>`,
    );
    expect(status.mentions).toEqual([
      expect.objectContaining({ username: "cid", acct: "cid@pub-c.test" }),
    ]);
    const [create] = await db()
      .select()
      .from(outbox)
      .where(eq(outbox.id, `${status.uri}/activity`));
    expect(create?.payload).toMatchObject({ cc: [`${OWNER}/followers`, cid.id] });
    await eventually(
      async () => (await got("https://pub-c.test/inbox", "Create", status.uri)).length === 1,
    );
  });

  it.each([
    ["unlisted", { to: [`${OWNER}/followers`], cc: [PUBLIC] }, true],
    ["private", { to: [`${OWNER}/followers`], cc: [] }, true],
    ["direct", { to: [], cc: [] }, false],
  ] as const)(
    "addresses a %s post as Mastodon does",
    async (visibility, addressing, toFollowers) => {
      const status = await post({ status: `a ${visibility} post`, visibility });
      const [create] = await db()
        .select()
        .from(outbox)
        .where(eq(outbox.id, `${status.uri}/activity`));
      expect(create?.payload).toMatchObject(addressing);
      if (toFollowers)
        await eventually(async () => (await got(SHARED_A, "Create", status.uri)).length === 1);
      else {
        await new Promise((r) => setTimeout(r, 1500));
        expect(await got(SHARED_A, "Create", status.uri)).toEqual([]);
      }
      // Only public and unlisted posts can be fetched by anyone.
      expect((await get(status.uri, AP)).status).toBe(visibility === "unlisted" ? 200 : 404);
    },
  );

  it("sends a direct message to the mentioned only, at their own inbox", async () => {
    const status = await post({ status: "@cid@pub-c.test just for you", visibility: "direct" });
    await eventually(async () => (await got(cid.inbox, "Create", status.uri)).length === 1);
    expect(await got(SHARED_A, "Create", status.uri)).toEqual([]);
  });

  it("replies: inReplyTo, and the author replied to is addressed", async () => {
    const remoteNote = cid.note("<p>question?</p>", {
      tag: [{ type: "Mention", href: OWNER, name: "@owner" }],
    });
    await cid.send(cid.activity("Create", remoteNote));
    const parent = await statusIdOf(remoteNote.id);
    const reply = await post({ status: "answer", in_reply_to_id: parent });
    expect(reply.in_reply_to_id).toBe(parent);
    expect(reply.in_reply_to_account_id).toMatch(/^\d+$/);
    const [create] = await db()
      .select()
      .from(outbox)
      .where(eq(outbox.id, `${reply.uri}/activity`));
    expect(create?.payload).toMatchObject({
      object: { inReplyTo: remoteNote.id },
      cc: [`${OWNER}/followers`, cid.id],
    });
    await eventually(
      async () => (await got("https://pub-c.test/inbox", "Create", reply.uri)).length === 1,
    );
  });

  it("answers a repeated Idempotency-Key with the first post, and posts once", async () => {
    const headers = { "Idempotency-Key": "retry-1" };
    const [a, b] = await Promise.all([
      post({ status: "once" }, headers),
      post({ status: "once" }, headers),
    ]);
    const c = await post({ status: "once" }, headers);
    expect(new Set([a.id, b.id, c.id]).size).toBe(1);
    expect(await db().select().from(notes).where(eq(notes.content, "<p>once</p>"))).toHaveLength(1);
  });

  it.each([
    {
      name: "no status",
      body: {},
      status: 422,
      pattern: /^Validation failed: status is required$/,
    },
    {
      name: "a blank status",
      body: { status: "   " },
      status: 422,
      pattern: /status can't be blank/,
    },
    {
      name: "a status too long",
      body: { status: "x".repeat(5001) },
      status: 422,
      pattern: /longer than 5000/,
    },
    {
      name: "an unknown visibility",
      body: { status: "x", visibility: "everyone" },
      status: 422,
      pattern: /visibility/,
    },
    {
      name: "a reply id that is not one",
      body: { status: "x", in_reply_to_id: "abc" },
      status: 422,
      pattern: /in_reply_to_id/,
    },
    {
      name: "a reply to nothing",
      body: { status: "x", in_reply_to_id: "999999" },
      status: 404,
      pattern: /replied to/,
    },
    {
      name: "a sensitive flag that is not one",
      body: { status: "x", sensitive: "maybe" },
      status: 422,
      pattern: /sensitive/,
    },
    {
      name: "a content warning too long",
      body: { status: "x", spoiler_text: "y".repeat(501) },
      status: 422,
      pattern: /spoiler_text/,
    },
    {
      name: "a language that is not a code",
      body: { status: "x", language: "english!" },
      status: 422,
      pattern: /language/,
    },
  ])("refuses $name", async ({ body, status, pattern }) => {
    const res = await api("/v1/statuses", { body });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toMatch(pattern);
  });

  it("refuses a body that is not JSON (400) and takes form-encoded bodies", async () => {
    const bad = await exports.default.fetch(`${ORIGIN}/api/v1/statuses`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: "{nope",
    });
    expect(bad.status).toBe(400);
    const form = await exports.default.fetch(`${ORIGIN}/api/v1/statuses`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${TOKEN}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: "status=from+a+form&visibility=unlisted&sensitive=true",
    });
    expect(form.status).toBe(200);
    expect(await form.json()).toMatchObject({
      visibility: "unlisted",
      sensitive: true,
      content: "<p>from a form</p>",
    });
  });
});

describe("editing and deleting", { timeout: 20_000 }, () => {
  it("an edit sends an Update to the same audience, and the note and its Create change", async () => {
    const status = await post({ status: "first version" });
    const res = await api(`/v1/statuses/${status.id}`, {
      method: "PUT",
      body: { status: "second version", spoiler_text: "cw" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      content: "<p>second version</p>",
      spoiler_text: "cw",
      sensitive: true,
      edited_at: expect.any(String),
    });
    const [update] = await eventually(async () => {
      const updates = await got(SHARED_A, "Update", status.uri);
      return updates.length > 0 ? updates : undefined;
    });
    expect(update).toMatchObject({
      actor: OWNER,
      to: [PUBLIC],
      object: {
        id: status.uri,
        content: "<p>second version</p>",
        summary: "cw",
        updated: expect.any(String),
      },
    });
    const note = (await (await get(status.uri, AP)).json()) as { content: string };
    expect(note.content).toBe("<p>second version</p>");
  });

  it("a delete sends a Delete with a Tombstone, and the note answers 410", async () => {
    const status = await post({ status: "soon gone" });
    const res = await api(`/v1/statuses/${status.id}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    await eventually(async () => (await got(SHARED_A, "Delete", status.uri)).length === 1);
    const [del] = await got(SHARED_A, "Delete", status.uri);
    expect(del).toMatchObject({ object: { id: status.uri, type: "Tombstone" }, to: [PUBLIC] });
    expect((await get(status.uri, AP)).status).toBe(410);
    expect((await api(`/v1/statuses/${status.id}`)).status).toBe(404);
    expect((await api(`/v1/statuses/${status.id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("cannot edit or delete someone else's status, or one that does not exist", async () => {
    const remoteNote = cid.note("<p>theirs</p>", {
      tag: [{ type: "Mention", href: OWNER, name: "@owner" }],
    });
    await cid.send(cid.activity("Create", remoteNote));
    const [row] = await db().select().from(notes).where(eq(notes.id, remoteNote.id));
    const theirs = await statusIdOf(remoteNote.id);
    // Neither by its status id nor by its `seq` (ids of old).
    for (const id of [theirs, String(row?.seq), "999999", "abc"]) {
      expect(
        (await api(`/v1/statuses/${id}`, { method: "PUT", body: { status: "x" } })).status,
      ).toBe(404);
      expect((await api(`/v1/statuses/${id}`, { method: "DELETE" })).status).toBe(404);
    }
  });
});

describe("likes and boosts", { timeout: 20_000 }, () => {
  it("favourite and unfavourite send Like and Undo(Like) to the author only", async () => {
    const remoteNote = cid.note("<p>likeable</p>", {
      tag: [{ type: "Mention", href: OWNER, name: "@owner" }],
    });
    await cid.send(cid.activity("Create", remoteNote));
    const id = await statusIdOf(remoteNote.id);
    const liked = await api(`/v1/statuses/${id}/favourite`, { method: "POST" });
    expect(await liked.json()).toMatchObject({ favourited: true, favourites_count: 1 });
    expect(
      await (await api(`/v1/statuses/${id}/favourite`, { method: "POST" })).json(),
    ).toMatchObject({ favourites_count: 1 });
    await eventually(async () => (await got(cid.inbox, "Like", remoteNote.id)).length === 1);
    const unliked = await api(`/v1/statuses/${id}/unfavourite`, { method: "POST" });
    expect(await unliked.json()).toMatchObject({ favourited: false, favourites_count: 0 });
    const [undo] = await eventually(async () => {
      const undos = await got(cid.inbox, "Undo", remoteNote.id);
      return undos.length > 0 ? undos : undefined;
    });
    expect(undo).toMatchObject({ object: { type: "Like", object: remoteNote.id } });
    expect(await got(SHARED_A, "Like", remoteNote.id)).toEqual([]);
  });

  it("reblog sends a public Announce to followers and the author; unreblog undoes it", async () => {
    const remoteNote = cid.note("<p>boostable</p>", {
      tag: [{ type: "Mention", href: OWNER, name: "@owner" }],
    });
    await cid.send(cid.activity("Create", remoteNote));
    const id = await statusIdOf(remoteNote.id);
    const boosted = (await (await api(`/v1/statuses/${id}/reblog`, { method: "POST" })).json()) as {
      id: string;
      [k: string]: unknown;
    };
    expect(boosted).toMatchObject({
      account: { id: OWNER_ID },
      reblog: { id, reblogged: true, reblogs_count: 1 },
    });
    // The boost is a status of its own: an id of its own (odd), which answers it.
    expect(BigInt(boosted.id) % 2n).toBe(1n);
    expect(boosted.id).not.toBe(id);
    expect(await (await api(`/v1/statuses/${boosted.id}`)).json()).toEqual(boosted);
    await eventually(async () => (await got(SHARED_A, "Announce", remoteNote.id)).length === 1);
    await eventually(
      async () => (await got("https://pub-c.test/inbox", "Announce", remoteNote.id)).length === 1,
    );
    const [announce] = await got(SHARED_A, "Announce", remoteNote.id);
    expect(announce).toMatchObject({
      to: [PUBLIC],
      cc: [cid.id, `${OWNER}/followers`],
      object: remoteNote.id,
    });
    // The boost is in the outbox, for anyone to see.
    const page = (await (await get("/users/owner/outbox?page=true", AP)).json()) as {
      orderedItems: { type: string }[];
    };
    expect(page.orderedItems.some((i) => i.type === "Announce")).toBe(true);
    expect(
      await (await api(`/v1/statuses/${id}/unreblog`, { method: "POST" })).json(),
    ).toMatchObject({ reblogged: false });
    await eventually(async () => (await got(SHARED_A, "Undo", remoteNote.id)).length === 1);
  });

  it("refuses to boost a followers-only or direct status (422)", async () => {
    const status = await post({ status: "secret", visibility: "private" });
    const res = await api(`/v1/statuses/${status.id}/reblog`, { method: "POST" });
    expect(res.status).toBe(422);
  });
});

describe("federation status of a post", { timeout: 20_000 }, () => {
  it("lists each host it was sent to and what became of it", async () => {
    const gone = await RemoteActor.create({ host: "pub-gone.test", username: "gus" });
    await gone.send(gone.activity("Follow", OWNER));
    await serve({ url: "https://pub-gone.test/inbox", status: 410, body: {} });
    const status = await post({ status: "where did it go?" });
    const body = await eventually(async () => {
      const res = await api(`/v1/statuses/${status.id}/deliveries`);
      const json = (await res.json()) as {
        activities: {
          type: string;
          summary: Record<string, number>;
          hosts: { host: string; state: string; last_error: string | null }[];
        }[];
      };
      const create = json.activities[0];
      const settled =
        create !== undefined && create.hosts.length >= 3 && create.summary.pending === 0;
      return settled ? json : undefined;
    }, 15_000);
    const create = body.activities[0];
    expect(create?.type).toBe("Create");
    expect(create?.hosts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ host: "pub-a.test", state: "delivered" }),
        expect.objectContaining({ host: "pub-b.test", state: "delivered" }),
        expect.objectContaining({
          host: "pub-gone.test",
          state: "failed",
          last_error: expect.stringMatching(/410/),
        }),
      ]),
    );
    expect((await api("/v1/statuses/999999/deliveries")).status).toBe(404);
  });
});
