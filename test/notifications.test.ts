/**
 * The owner's notifications: recorded by the inbox with the activity, forgotten when undone,
 * and listed like Mastodon does, ungrouped (`/api/v1/notifications`) and grouped
 * (`/api/v2/notifications`). Paging is in notifications-paging.test.ts.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { inbox, notes, notifications } from "../src/storage/schema";
import { api, db, ownerAccountId, seedNote } from "./helpers";
import { mention, v1, v2 } from "./support/notifications";
import { AS_CONTEXT, accepted, eventually, OWNER, RemoteActor, serve } from "./support/remote";

const OWNER_ID = await ownerAccountId();

describe("the owner's notifications", () => {
  it("are the owner's only", async () => {
    for (const path of ["/v1/notifications", "/v2/notifications"]) {
      for (const token of [null, "wrong"]) {
        const res = await api(path, { token });
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({ error: expect.any(String) });
      }
    }
  });

  it("group 15 likes of a post into one group of 15 with 8 sample accounts", async () => {
    const note = await seedNote();
    const likers = await RemoteActor.crowd("liker", 15);
    for (const liker of likers) await accepted(liker, liker.like(note.id));
    // A repeated Like and a second Like activity add nothing.
    await accepted(likers[0] as RemoteActor, (likers[0] as RemoteActor).like(note.id));

    const { body } = await v2("types[]=favourite");
    const group = body.notification_groups.find((g) => g.status_id === note.statusId);
    expect(group).toMatchObject({
      type: "favourite",
      notifications_count: 15,
      group_key: expect.stringMatching(new RegExp(`^favourite-${note.seq}-\\d+$`)),
    });
    expect(group?.sample_account_ids).toHaveLength(8);
    const uriOf = new Map(body.accounts.map((a) => [a.id, a.uri]));
    // The newest eight, newest first.
    expect(group?.sample_account_ids.map((id) => uriOf.get(id))).toEqual(
      likers
        .slice(-8)
        .reverse()
        .map((l) => l.id),
    );
    expect(body.statuses.find((s) => s.id === note.statusId)).toMatchObject({
      uri: note.id,
      favourites_count: 15,
    });
    // The owner wrote the status: its author is among the accounts too.
    expect(body.accounts.some((a) => a.id === OWNER_ID)).toBe(true);

    // Ungrouped, they are 15 notifications sharing that group key.
    const { list } = await v1("types[]=favourite&limit=80");
    const ofNote = list.filter((n) => n.status?.uri === note.id);
    expect(ofNote).toHaveLength(15);
    expect(new Set(ofNote.map((n) => n.group_key))).toEqual(new Set([group?.group_key]));
    expect(ofNote[0]?.id).toBe(group?.most_recent_notification_id);
    expect(group?.page_max_id).toBe(group?.most_recent_notification_id);
    expect(group?.page_min_id).toBe(ofNote.at(-1)?.id);
    expect(group?.latest_page_notification_at).toBe(ofNote[0]?.created_at);
    expect(ofNote.map((n) => n.account.uri)).toEqual(likers.map((l) => l.id).reverse());
  });

  it("group boosts per post, apart from likes", async () => {
    const note = await seedNote();
    const [one, two] = await RemoteActor.crowd("booster", 2);
    if (one === undefined || two === undefined) throw new Error("no boosters");
    await accepted(one, one.boost(note.id));
    await accepted(two, two.boost(note.id));
    await accepted(one, one.like(note.id));
    const { body } = await v2("");
    const about = body.notification_groups.filter((g) => g.status_id === note.statusId);
    expect(about.map((g) => [g.type, g.notifications_count])).toEqual([
      ["favourite", 1],
      ["reblog", 2],
    ]);
    expect(about[1]?.group_key).toMatch(new RegExp(`^reblog-${note.seq}-\\d+$`));
  });

  it("group follows; a follow request stands alone; an Undo Follow takes its notification away", async () => {
    const followers = await RemoteActor.crowd("follower", 3);
    for (const follower of followers) await accepted(follower, follower.activity("Follow", OWNER));
    // Following again is not news.
    await accepted(
      followers[0] as RemoteActor,
      (followers[0] as RemoteActor).activity("Follow", OWNER),
    );
    const requester = await RemoteActor.create({ host: "asking.test", username: "asker" });
    await accepted(requester, requester.activity("Follow", OWNER), {
      vars: { OWNER_MANUALLY_APPROVES_FOLLOWERS: "true" },
    });

    const { body } = await v2("types[]=follow&types[]=follow_request");
    const [request, follows] = body.notification_groups;
    expect(body.notification_groups).toHaveLength(2);
    expect(request).toMatchObject({ type: "follow_request", notifications_count: 1 });
    expect(request?.group_key).toBe(`ungrouped-${request?.most_recent_notification_id}`);
    expect(follows).toMatchObject({ type: "follow", notifications_count: 3 });
    expect(follows?.group_key).toMatch(/^follow-\d+$/);
    expect(follows).not.toHaveProperty("status_id");
    const uriOf = new Map(body.accounts.map((a) => [a.id, a.uri]));
    expect(follows?.sample_account_ids.map((id) => uriOf.get(id))).toEqual(
      followers.map((f) => f.id).reverse(),
    );

    const leaving = followers[1] as RemoteActor;
    const [edge] = (await v1("types[]=follow")).list.filter((n) => n.account.uri === leaving.id);
    expect(edge).toMatchObject({ type: "follow", group_key: follows?.group_key });
    expect(edge).not.toHaveProperty("status");
    await accepted(leaving, leaving.activity("Undo", leaving.activity("Follow", OWNER)));
    const after = await v2("types[]=follow");
    expect(after.body.notification_groups[0]?.notifications_count).toBe(2);
  });

  it("list mentions and replies to the owner's notes as ungrouped mentions, gone with their note", async () => {
    const [writer, replier] = await RemoteActor.crowd("writer", 2);
    if (writer === undefined || replier === undefined) throw new Error("no writers");
    const ours = await seedNote();
    const mentioning = writer.note("<p>hi @owner</p>", { tag: [mention], cc: [OWNER] });
    const reply = replier.note("<p>nice</p>", { inReplyTo: ours.id });
    await accepted(writer, writer.activity("Create", mentioning));
    await accepted(writer, writer.activity("Create", mentioning));
    await accepted(replier, replier.activity("Create", reply));

    const { list } = await v1("types[]=mention");
    const mine = list.filter((n) => [writer.id, replier.id].includes(n.account.uri));
    expect(mine.map((n) => [n.type, n.account.uri, n.status?.uri])).toEqual([
      ["mention", replier.id, reply.id],
      ["mention", writer.id, mentioning.id],
    ]);
    for (const n of mine) expect(n.group_key).toBe(`ungrouped-${n.id}`);

    const { body } = await v2("types[]=mention");
    const groups = body.notification_groups.filter((g) =>
      mine.some((n) => `ungrouped-${n.id}` === g.group_key),
    );
    expect(groups).toHaveLength(2);
    for (const g of groups) {
      expect(g).toMatchObject({ type: "mention", notifications_count: 1 });
      expect(body.statuses.some((s) => s.id === g.status_id)).toBe(true);
    }

    await accepted(writer, writer.activity("Delete", { id: mentioning.id, type: "Tombstone" }));
    const left = (await v1("types[]=mention")).list.map((n) => n.status?.uri);
    expect(left).toContain(reply.id);
    expect(left).not.toContain(mentioning.id);
  });

  it("take a mention whose tag has no name (as Fedify sends it): the href says who", async () => {
    const [writer] = await RemoteActor.crowd("nameless", 1);
    if (writer === undefined) throw new Error("no writer");
    const stranger = "https://elsewhere.test/users/zed";
    const note = writer.note("<p>hi</p>", {
      tag: [{ type: "Mention", href: OWNER }, mention, { type: "Mention", href: stranger }],
      to: OWNER,
    });
    await accepted(writer, writer.activity("Create", note));
    const { list } = await v1("types[]=mention");
    const mine = list.filter((n) => n.status?.uri === note.id);
    expect(mine.map((n) => n.account.uri)).toEqual([writer.id]);
    // Named or not, the owner is mentioned once; an unknown account gets a handle from its URL.
    const status = mine[0]?.status as unknown as { mentions: { acct: string; url: string }[] };
    expect(status.mentions.map((m) => [m.acct, m.url]).sort()).toEqual([
      ["owner", "https://outpost.test/@owner"],
      ["zed@elsewhere.test", stranger],
    ]);
  });

  it("list a mention sent by URL only once its note is fetched; only its author's Delete frees it", async () => {
    const [author, stranger] = await RemoteActor.crowd("byurl", 2);
    if (author === undefined || stranger === undefined) throw new Error("no authors");
    const note = author.note("<p>hello @owner</p>", { tag: [mention], cc: [OWNER] });
    await serve({ url: note.id, body: { "@context": AS_CONTEXT, ...note } });
    await accepted(author, author.activity("Create", note.id));
    const rows = () =>
      db()
        .select({ type: notifications.type })
        .from(notifications)
        .where(eq(notifications.target, note.id));
    expect(await eventually(async () => ((await rows()).length > 0 ? rows() : undefined))).toEqual([
      { type: "mention" },
    ]);
    const listed = (await v1("types[]=mention")).list.map((n) => n.status?.uri);
    expect(listed).toContain(note.id);

    await accepted(stranger, stranger.activity("Delete", note.id));
    expect(await rows()).toHaveLength(1);
    await accepted(author, author.activity("Delete", note.id));
    expect(await rows()).toEqual([]);
  });

  it("take no mention from a Create by URL of a note its sender did not write", async () => {
    const [writer, impostor] = await RemoteActor.crowd("impostor", 2);
    if (writer === undefined || impostor === undefined) throw new Error("no actors");
    const note = writer.note("<p>hello @owner</p>", { tag: [mention], cc: [OWNER] });
    await serve({ url: note.id, body: { "@context": AS_CONTEXT, ...note } });
    const create = impostor.activity("Create", note.id);
    await accepted(impostor, create);
    // Processed once the queue has looked at it (and left it).
    await eventually(async () => {
      const [row] = await db()
        .select({ processedAt: inbox.processedAt })
        .from(inbox)
        .where(eq(inbox.id, create.id));
      return row?.processedAt ?? undefined;
    });
    expect(await db().select().from(notes).where(eq(notes.id, note.id))).toEqual([]);
    expect(
      await db().select().from(notifications).where(eq(notifications.target, note.id)),
    ).toEqual([]);
  });

  it("forget a like or boost undone by id or embedded, and everything of a deleted account", async () => {
    const note = await seedNote();
    const [dan, eve] = await RemoteActor.crowd("undoer", 2);
    if (dan === undefined || eve === undefined) throw new Error("no undoers");
    const danLike = dan.like(note.id);
    const danBoost = dan.boost(note.id);
    await accepted(dan, danLike);
    await accepted(dan, danBoost);
    await accepted(eve, eve.like(note.id));
    await accepted(eve, eve.activity("Follow", OWNER));
    const about = async () =>
      (await v1("limit=80")).list
        .filter((n) => n.status?.uri === note.id || n.account.uri === eve.id)
        .map((n) => [n.type, n.account.uri]);
    expect(await about()).toEqual([
      ["follow", eve.id],
      ["favourite", eve.id],
      ["reblog", dan.id],
      ["favourite", dan.id],
    ]);
    await accepted(dan, dan.activity("Undo", danLike.id));
    await accepted(dan, dan.activity("Undo", { ...danBoost, id: dan.newId() }));
    expect(await about()).toEqual([
      ["follow", eve.id],
      ["favourite", eve.id],
    ]);
    await accepted(eve, eve.activity("Delete", eve.id));
    expect(await about()).toEqual([]);
  });
});
