/**
 * The events the instance streams as things are stored (issue 19): the owner's posts, edits
 * and deletes; a peer's like, note, delete and edit through the real inbox; what the home
 * timeline's rules keep away (a muted account); the filters (a `hide` one drops a status, a
 * `warn` one marks it, a change says `filters_changed`); hashtags, lists and direct messages.
 * Each payload is the entity the REST API answers with.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runBatch } from "../src/storage/db";
import { addMembersStatements, createList } from "../src/storage/lists";
import { muteStatement } from "../src/storage/safety";
import { api, db, OWNER, seedFollow, seedNote, tick } from "./helpers";
import { field, framesWithin, nextMatching, on, readUntil } from "./support/frames";
import { AS_CONTEXT, PUBLIC, RemoteActor, serve } from "./support/remote";
import { type Client, closeAll, openClient, streamingStub } from "./support/sockets";
import { json, seedActor, seedPost } from "./support/sorting";

interface Status {
  id: string;
  uri: string;
  content: string;
  filtered?: { filter: { title: string; filter_action: string } }[];
  reblog: Status | null;
}

afterEach(closeAll);

/** A socket subscribed to `streams`, every subscription handled. */
async function listen(...streams: (string | [string, Record<string, string>])[]): Promise<Client> {
  const client = await openClient();
  for (const stream of streams) {
    if (typeof stream === "string") client.subscribe(stream);
    else client.subscribe(stream[0], stream[1]);
  }
  await client.settle();
  return client;
}

const post = (body: Record<string, unknown>) => json<Status>(api("/v1/statuses", { body }));

/** A remote account the owner follows, on its own host. */
async function followed(host: string): Promise<RemoteActor> {
  const actor = await RemoteActor.create({ host });
  await seedFollow(actor.id, OWNER);
  return actor;
}

/** Sends a `Create` of a note by `actor`; the note. */
async function create(actor: RemoteActor, content: string, extra: Record<string, unknown> = {}) {
  const note = actor.note(content, extra);
  const res = await actor.send(actor.activity("Create", note, { to: note.to, cc: note.cc }));
  expect(res.status).toBe(202);
  return note;
}

/** A public note by an account the owner does not follow: not in the home. */
async function strangersNote(name: string): Promise<{ id: string; uri: string }> {
  const { row } = await seedActor(name);
  const { id, statusId } = await seedPost(row.id);
  return { id: statusId, uri: id };
}

const isStatus = (uri: string) => (frame: { payload: unknown }) =>
  (frame.payload as Status | undefined)?.uri === uri;

describe("the owner's posts", () => {
  it("streams a new post as the home timeline shows it, on user and public:local", async () => {
    const client = await listen("user", "public:local");
    const posted = await post({ status: "live from the owner", visibility: "public" });
    const frames = await readUntil(
      client,
      (f) => f.event === "update" && f.stream[0] === "public:local" && isStatus(posted.uri)(f),
    );
    const user = frames.find((f) => on("user", "update")(f) && isStatus(posted.uri)(f));
    const [shown] = await json<Status[]>(api("/v1/timelines/home?limit=1"));
    expect(shown?.id).toBe(posted.id);
    expect(user?.payload).toEqual(shown);
    expect(frames.at(-1)?.payload).toEqual(shown);
  });

  it("streams an edit as status.update, and a delete as delete with the status id", async () => {
    const posted = await post({ status: "first words", visibility: "public" });
    const client = await listen("user", "public");
    const res = await api(`/v1/statuses/${posted.id}`, {
      method: "PUT",
      body: { status: "second words" },
    });
    expect(res.status).toBe(200);
    const edited = await nextMatching(client, (f) => on("user", "status.update")(f));
    expect(field(edited, "id")).toBe(posted.id);
    expect(field(edited, "content")).toContain("second words");
    expect(await api(`/v1/statuses/${posted.id}`, { method: "DELETE" })).toHaveProperty(
      "status",
      200,
    );
    const deleted = await readUntil(client, (f) => on("public", "delete")(f));
    expect(deleted.at(-1)?.payload).toBe(posted.id);
    expect(deleted.some((f) => on("user", "delete")(f) && f.payload === posted.id)).toBe(true);
  });

  it("streams the owner's boost as a reblog, and its undoing as a delete of the boost", async () => {
    // A note the home does not show already (a boost of one it shows falls off, as in Mastodon).
    const posted = await strangersNote("stranger1");
    const client = await listen("user");
    const boost = await json<Status>(api(`/v1/statuses/${posted.id}/reblog`, { method: "POST" }));
    const frame = await nextMatching(
      client,
      (f) => on("user", "update")(f) && field(f, "id") === boost.id,
    );
    expect((frame.payload as Status).reblog?.id).toBe(posted.id);
    await api(`/v1/statuses/${posted.id}/unreblog`, { method: "POST" });
    const undone = await nextMatching(client, on("user", "delete"));
    expect(undone.payload).toBe(boost.id);
  });

  it("streams a post with a hashtag on the hashtag's streams", async () => {
    const client = await listen(
      ["hashtag", { tag: "LiveTag" }],
      ["hashtag:local", { tag: "livetag" }],
    );
    const posted = await post({ status: "about #LiveTag", visibility: "public" });
    const frames = await readUntil(client, (f) => f.stream[0] === "hashtag:local");
    expect(frames.map((f) => [f.stream[0], f.event, field(f, "id")])).toEqual([
      ["hashtag", "update", posted.id],
      ["hashtag:local", "update", posted.id],
    ]);
  });

  it("streams a direct message as a conversation on direct, and not on the public streams", async () => {
    const peer = await RemoteActor.create({ host: "dm.stream.test" });
    await peer.serveWebFinger();
    const client = await listen("direct", "public");
    const acct = `${peer.id.split("/").pop()}@${peer.host}`;
    const posted = await post({ status: `@${acct} just us`, visibility: "direct" });
    const frame = await nextMatching(client, () => true);
    expect(frame.stream).toEqual(["direct"]);
    expect(frame.event).toBe("conversation");
    expect((frame.payload as { last_status: Status }).last_status.id).toBe(posted.id);
  });
});

describe("a peer's activities, through the inbox", () => {
  let peer: RemoteActor;
  beforeAll(async () => {
    peer = await followed("peer.stream.test");
  });

  it("streams a peer's Like of the owner's post as a notification on user:notification", async () => {
    const posted = await post({ status: "like this", visibility: "public" });
    const client = await listen("user:notification");
    const liker = await RemoteActor.create({ host: "liker.stream.test" });
    expect((await liker.send(liker.like(posted.uri))).status).toBe(202);
    const frame = await nextMatching(client, on("user:notification", "notification"));
    const notification = frame.payload as {
      type: string;
      account: { acct: string };
      status: Status;
    };
    expect(notification.type).toBe("favourite");
    expect(notification.account.acct).toBe(`${liker.id.split("/").pop()}@${liker.host}`);
    expect(notification.status.id).toBe(posted.id);
    const [listed] = await json<unknown[]>(api("/v1/notifications?limit=1"));
    expect(notification).toEqual(listed);
  });

  it("streams a followed account's note on user, its edit, and its Delete", async () => {
    const client = await listen("user");
    const note = await create(peer, "<p>hello from afar</p>");
    const frame = await nextMatching(
      client,
      (f) => on("user", "update")(f) && isStatus(note.id)(f),
    );
    const id = field(frame, "id");
    const [shown] = await json<Status[]>(api("/v1/timelines/home?limit=1"));
    expect(frame.payload).toEqual(shown);
    const edit = { ...note, content: "<p>hello, edited</p>", updated: new Date().toISOString() };
    expect((await peer.send(peer.activity("Update", edit, { to: [PUBLIC] }))).status).toBe(202);
    const edited = await nextMatching(client, on("user", "status.update"));
    expect(field(edited, "id")).toBe(id);
    expect(field(edited, "content")).toContain("hello, edited");
    const gone = { "@context": AS_CONTEXT, id: note.id, type: "Tombstone" };
    expect((await peer.send(peer.activity("Delete", gone, { to: [PUBLIC] }))).status).toBe(202);
    const deleted = await nextMatching(client, on("user", "delete"));
    expect(deleted.payload).toBe(id);
  });

  it("streams a note given by URL once the queue has fetched it, with its mention", async () => {
    const client = await listen("user");
    const mention = { type: "Mention", href: OWNER, name: "@owner@outpost.test" };
    const note = peer.note("<p>@owner fetched late</p>", { tag: [mention], cc: [OWNER] });
    await serve({ url: note.id, body: { "@context": AS_CONTEXT, ...note } });
    expect((await peer.send(peer.activity("Create", note.id))).status).toBe(202);
    const frames = await readUntil(client, on("user", "notification"), 8000);
    expect(frames.some((f) => on("user", "update")(f) && isStatus(note.id)(f))).toBe(true);
    const notification = frames.at(-1)?.payload as { status: Status };
    expect(notification.status.uri).toBe(note.id);
  });

  it("streams a peer's mention as a notification, and the note itself on user", async () => {
    const client = await listen("user");
    const mention = { type: "Mention", href: OWNER, name: "@owner@outpost.test" };
    const note = await create(peer, "<p>@owner hi</p>", { tag: [mention], cc: [OWNER] });
    const frames = await readUntil(client, on("user", "notification"));
    const notification = frames.at(-1)?.payload as { type: string; status: Status };
    expect(notification.type).toBe("mention");
    expect(notification.status.uri).toBe(note.id);
    expect(frames.some((f) => on("user", "update")(f) && isStatus(note.id)(f))).toBe(true);
  });

  it("streams nothing of a muted account's note, and the next one of another's", async () => {
    const muted = await followed("muted.stream.test");
    await runBatch(db(), [
      muteStatement(db(), { actor: muted.id, notifications: true, expiresAt: null, at: tick() }),
    ]);
    const client = await listen("user", "public");
    const hidden = await create(muted, "<p>you should not see this</p>");
    const shown = await create(peer, "<p>but this one</p>");
    const frames = await readUntil(client, (f) => on("user", "update")(f) && isStatus(shown.id)(f));
    const later = await framesWithin(client, 300);
    expect([...frames, ...later].filter(isStatus(hidden.id))).toEqual([]);
  });

  it("streams a followed account's boost as a reblog on user", async () => {
    const posted = await strangersNote("stranger2");
    const client = await listen("user");
    const boost = peer.boost(posted.uri);
    expect((await peer.send(boost)).status).toBe(202);
    const frame = await nextMatching(
      client,
      (f) => on("user", "update")(f) && (f.payload as Status).reblog?.id === posted.id,
    );
    expect((frame.payload as Status).id).not.toBe(posted.id);
  });

  it("streams a list member's note on the list's stream", async () => {
    const list = await createList(
      db(),
      { title: "peers", repliesPolicy: "list", exclusive: false },
      tick(),
    );
    await runBatch(db(), addMembersStatements(db(), list.seq, [peer.id]));
    const client = await listen(["list", { list: String(list.seq) }]);
    const note = await create(peer, "<p>for the list</p>");
    const frame = await nextMatching(
      client,
      (f) => on("list", "update")(f) && isStatus(note.id)(f),
    );
    expect(frame.stream).toEqual(["list", String(list.seq)]);
  });
});

describe("what the object makes", () => {
  it("makes the events of a change only for streams an open socket listens to", async () => {
    const { id } = await seedNote({ content: "<p>seeded, not streamed</p>" });
    const changed = () => streamingStub().changed([{ kind: "note", id }]);
    // No socket: nothing made (nothing read).
    expect(await changed()).toEqual({ made: 0, sent: 0 });
    // Notifications alone: a note cannot show there, so it is not made.
    const notified = await listen("user:notification");
    expect(await changed()).toEqual({ made: 0, sent: 0 });
    // A stream where it shows: made, and sent there alone.
    await listen("public:local");
    const { made, sent } = await changed();
    expect(made).toBeGreaterThan(0);
    expect(sent).toBe(1);
    expect(await framesWithin(notified, 200)).toEqual([]);
  });
});

describe("filters", () => {
  let peer: RemoteActor;
  beforeAll(async () => {
    peer = await followed("filtered.stream.test");
  });

  const filter = (title: string, action: "hide" | "warn", keyword: string) =>
    api("/v2/filters", {
      body: {
        title,
        context: ["home", "public"],
        filter_action: action,
        keywords_attributes: [{ keyword, whole_word: true }],
      },
    });

  it("says filters_changed on user when a filter is created, changed or deleted", async () => {
    const client = await listen("user");
    const created = await json<{ id: string }>(filter("spoilers", "warn", "finale"));
    expect(await nextMatching(client, on("user", "filters_changed"))).toMatchObject({
      stream: ["user"],
      event: "filters_changed",
      payload: undefined,
    });
    await json(api(`/v2/filters/${created.id}/keywords`, { body: { keyword: "ending" } }));
    await nextMatching(client, on("user", "filters_changed"));
    await json(api(`/v2/filters/${created.id}`, { method: "DELETE" }));
    await nextMatching(client, on("user", "filters_changed"));
  });

  it("drops a status a hide filter matches, and marks one a warn filter matches", async () => {
    await json(filter("hidden", "hide", "verboten"));
    await json(filter("warned", "warn", "careful"));
    const client = await listen("user", "public");
    const hidden = await create(peer, "<p>something verboten here</p>");
    const warned = await create(peer, "<p>be careful</p>");
    const frames = await readUntil(
      client,
      (f) => on("public", "update")(f) && isStatus(warned.id)(f),
    );
    const later = await framesWithin(client, 300);
    expect([...frames, ...later].filter(isStatus(hidden.id))).toEqual([]);
    const user = [...frames, ...later].find(
      (f) => on("user", "update")(f) && isStatus(warned.id)(f),
    );
    expect(user).toBeDefined();
    for (const frame of [user, frames.at(-1)]) {
      const status = frame?.payload as Status;
      expect(status.filtered?.map((r) => [r.filter.title, r.filter.filter_action])).toEqual([
        ["warned", "warn"],
      ]);
    }
  });
});
