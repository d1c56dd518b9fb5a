/**
 * What the owner blocked stays out: the inbox accepts a blocked domain's or a blocked
 * actor's activities (202) and stores nothing (no inbox row, note, notification, actor), a
 * blocked domain's without fetching any key; but a blocked actor's `Delete` and `Undo`,
 * which only take back, are applied; and `authorShown`, the condition the timelines and
 * notifications will filter authors by.
 */
import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accountId } from "../src/mastodon/ids";
import { findActor } from "../src/storage/actors";
import { authorShown } from "../src/storage/safety";
import {
  actors,
  blocks,
  domainBlocks,
  inbox,
  mutes,
  notes,
  notifications,
  reactions,
} from "../src/storage/schema";
import { api, db, plansOf, request, seedNote } from "./helpers";
import { counterSum } from "./support/metrics";
import { AS_CONTEXT, eventually, OWNER, RemoteActor, received } from "./support/remote";

/** A note that mentions the owner: stored, with a notification, if it got through. */
function mentioning(actor: RemoteActor) {
  const note = actor.note(`<p>@owner hello</p>`, {
    cc: [OWNER],
    tag: [{ type: "Mention", href: OWNER, name: "@owner@outpost.test" }],
  });
  return actor.activity("Create", note);
}

/** Nothing of the activity or its note was stored, and the actor left no mention. */
async function nothingStored(activity: { id: string; object?: unknown }, actor: string) {
  const noteId = (activity.object as { id: string }).id;
  expect(await db().select().from(inbox).where(eq(inbox.id, activity.id))).toEqual([]);
  expect(await db().select().from(notes).where(eq(notes.id, noteId))).toEqual([]);
  expect(
    await db()
      .select()
      .from(notifications)
      .where(and(eq(notifications.account, actor), eq(notifications.type, "mention"))),
  ).toEqual([]);
}

/** The inbox's count of activities dropped for a reason, as `/metrics` shows it. */
const droppedCount = (result: string) =>
  counterSum("activitypub_inbox_activities_total", { result });

describe("the inbox, for a blocked domain", () => {
  it("accepts and drops its activities before any key is fetched, storing nothing", async () => {
    const stranger = await RemoteActor.create({ host: "blocked.inbox-b.test", username: "spam" });
    const before = await droppedCount("blocked_domain");
    expect(
      (await api("/v1/domain_blocks", { body: { domain: "blocked.inbox-b.test" } })).status,
    ).toBe(200);
    const create = mentioning(stranger);
    expect((await stranger.send(create)).status).toBe(202);
    const follow = stranger.activity("Follow", OWNER);
    expect((await stranger.send(follow, { path: "/inbox" })).status).toBe(202);
    await nothingStored(create, stranger.id);
    expect(await db().select().from(inbox).where(eq(inbox.id, follow.id))).toEqual([]);
    expect(await findActor(db(), stranger.id)).toBeUndefined();
    // Its key was never asked for: the server saw no request from us.
    expect(await received("blocked.inbox-b.test", "GET")).toEqual([]);
    await eventually(async () => (await droppedCount("blocked_domain")) === before + 2);
  });

  it("lets them in again once the domain is unblocked", async () => {
    const back = await RemoteActor.create({ host: "forgiven.inbox-b.test", username: "back" });
    await api("/v1/domain_blocks", { body: { domain: "forgiven.inbox-b.test" } });
    await api("/v1/domain_blocks", { method: "DELETE", body: { domain: "forgiven.inbox-b.test" } });
    const create = mentioning(back);
    expect((await back.send(create)).status).toBe(202);
    expect(await db().select().from(inbox).where(eq(inbox.id, create.id))).toHaveLength(1);
    // Its key was fetched this time: what the blocked domain's test sees not happening.
    expect(await received("forgiven.inbox-b.test", "GET")).not.toEqual([]);
  });
});

describe("the inbox, for a blocked actor", () => {
  it("accepts and drops its signed activities, storing nothing; others on its server get through", async () => {
    const troll = await RemoteActor.create({ host: "inbox-b.test", username: "troll" });
    const neighbour = await RemoteActor.create({ host: "inbox-b.test", username: "neighbour" });
    expect((await troll.send(troll.activity("Follow", OWNER))).status).toBe(202);
    const row = await findActor(db(), troll.id);
    expect(row).toBeDefined();
    const blocked = await api(`/v1/accounts/${row ? accountId(row) : "0"}/block`, {
      method: "POST",
    });
    expect(blocked.status).toBe(200);
    const before = await droppedCount("blocked_actor");

    const create = mentioning(troll);
    expect((await troll.send(create)).status).toBe(202);
    await nothingStored(create, troll.id);
    const like = troll.activity("Like", `${OWNER}/statuses/1`);
    expect((await troll.send(like)).status).toBe(202);
    expect(await db().select().from(inbox).where(eq(inbox.id, like.id))).toEqual([]);
    await eventually(async () => (await droppedCount("blocked_actor")) === before + 2);

    // The same note from someone not blocked is stored, with its notification.
    const fine = mentioning(neighbour);
    expect((await neighbour.send(fine)).status).toBe(202);
    expect(await db().select().from(inbox).where(eq(inbox.id, fine.id))).toHaveLength(1);
    const noteId = (fine.object as { id: string }).id;
    expect(await db().select().from(notes).where(eq(notes.id, noteId))).toHaveLength(1);
    const mentions = await db()
      .select()
      .from(notifications)
      .where(and(eq(notifications.account, neighbour.id), eq(notifications.type, "mention")));
    expect(mentions).toHaveLength(1);
  });

  it("still refuses an unsigned activity claiming to be the blocked actor's (401)", async () => {
    const [block] = await db().select().from(blocks).limit(1);
    const res = await request("/users/owner/inbox", {
      method: "POST",
      headers: { "Content-Type": "application/activity+json" },
      body: JSON.stringify({
        "@context": AS_CONTEXT,
        id: "https://inbox-b.test/activities/forged",
        type: "Like",
        actor: block?.actor,
        object: `${OWNER}/statuses/1`,
      }),
    });
    expect(res.status).toBe(401);
  });
});

describe("a blocked actor's taking back", () => {
  /** Blocks a stored actor through the API. */
  async function block(actor: RemoteActor) {
    const row = await findActor(db(), actor.id);
    const res = await api(`/v1/accounts/${row ? accountId(row) : "0"}/block`, { method: "POST" });
    expect(res.status).toBe(200);
    return row ? accountId(row) : "0";
  }

  it("applies its Delete and Undo, so that unblocking brings nothing back; the rest stays dropped", async () => {
    const fickle = await RemoteActor.create({ host: "inbox-b.test", username: "fickle" });
    const create = mentioning(fickle);
    expect((await fickle.send(create)).status).toBe(202);
    const noteId = (create.object as { id: string }).id;
    const { id: mine } = await seedNote();
    const like = fickle.like(mine);
    expect((await fickle.send(like)).status).toBe(202);
    const likesOf = () =>
      db()
        .select()
        .from(reactions)
        .where(and(eq(reactions.actor, fickle.id), eq(reactions.object, mine)));
    expect(await likesOf()).toHaveLength(1);
    const apiId = await block(fickle);

    const del = fickle.activity("Delete", { id: noteId, type: "Tombstone" });
    expect((await fickle.send(del)).status).toBe(202);
    const undo = fickle.activity("Undo", like);
    expect((await fickle.send(undo)).status).toBe(202);
    expect(
      await db()
        .select()
        .from(inbox)
        .where(inArray(inbox.id, [del.id, undo.id])),
    ).toHaveLength(2);
    const [note] = await db().select().from(notes).where(eq(notes.id, noteId));
    expect(note?.deletedAt).not.toBeNull();
    expect(await likesOf()).toEqual([]);
    // Anything else is still dropped.
    const again = fickle.like(mine);
    expect((await fickle.send(again)).status).toBe(202);
    expect(await likesOf()).toEqual([]);

    // Unblocked: the deleted note stays deleted.
    expect((await api(`/v1/accounts/${apiId}/unblock`, { method: "POST" })).status).toBe(200);
    const [after] = await db().select().from(notes).where(eq(notes.id, noteId));
    expect(after?.deletedAt).not.toBeNull();
  });

  it("applies its Delete of itself: the account is forgotten", async () => {
    const leaving = await RemoteActor.create({ host: "inbox-b.test", username: "leaving" });
    expect((await leaving.send(mentioning(leaving))).status).toBe(202);
    await block(leaving);
    expect((await leaving.send(leaving.activity("Delete", leaving.id))).status).toBe(202);
    expect(await findActor(db(), leaving.id)).toBeUndefined();
    expect(await db().select().from(notes).where(eq(notes.attributedTo, leaving.id))).toEqual([]);
  });
});

describe("authorShown", () => {
  const now = new Date();
  const at = (host: string, name: string) => `https://${host}/users/${name}`;
  const people = {
    plain: at("shown.test", "plain"),
    blocked: at("shown.test", "blocked"),
    muted: at("shown.test", "muted"),
    mutedPostsOnly: at("shown.test", "posts-only"),
    muteEnded: at("shown.test", "ended"),
    onBlockedDomain: at("walled.shown.test", "someone"),
  };
  const all = Object.values(people);

  it("leaves out blocked, muted and domain-blocked authors; an ended mute no longer counts", async () => {
    const d = db();
    const t = (n: number) => new Date(now.getTime() + n);
    await d.insert(actors).values(
      all.map((id) => ({
        id,
        type: "Person",
        domain: new URL(id).host,
        inbox: `${id}/inbox`,
        fetchedAt: now,
        createdAt: now,
      })),
    );
    await d.insert(blocks).values({ actor: people.blocked, activityId: "x", createdAt: now });
    await d.insert(mutes).values([
      { actor: people.muted, createdAt: now },
      {
        actor: people.mutedPostsOnly,
        notifications: false,
        expiresAt: t(3600_000),
        createdAt: now,
      },
      { actor: people.muteEnded, expiresAt: t(-1000), createdAt: now },
    ]);
    await d.insert(domainBlocks).values({ domain: "walled.shown.test", createdAt: now });
    await d.insert(notes).values(
      all.map((author, i) => ({
        id: `${author}/notes/1`,
        attributedTo: author,
        content: "<p>hi</p>",
        visibility: "public" as const,
        published: t(i),
      })),
    );
    await d
      .insert(notifications)
      .values(all.map((account, i) => ({ type: "follow" as const, account, createdAt: t(i) })));

    const shownNotes = await d
      .select({ author: notes.attributedTo })
      .from(notes)
      .where(authorShownAmong(notes.attributedTo, "timelines"));
    expect(shownNotes.map((r) => r.author).sort()).toEqual([people.plain, people.muteEnded].sort());
    const shownNotifications = await d
      .select({ account: notifications.account })
      .from(notifications)
      .where(authorShownAmong(notifications.account, "notifications"));
    expect(shownNotifications.map((r) => r.account).sort()).toEqual(
      [people.plain, people.muteEnded, people.mutedPostsOnly].sort(),
    );
    // In a query that reads `actors` itself, the condition's own lookup stays apart.
    const shownActors = await d
      .select({ id: actors.id })
      .from(actors)
      .where(authorShownAmong(actors.id, "timelines"));
    expect(shownActors.map((r) => r.id).sort()).toEqual([people.plain, people.muteEnded].sort());
  });

  it("looks each author up by index, never scanning blocks, mutes, actors or domain blocks", async () => {
    const [plan = []] = await plansOf((d) =>
      d
        .select({ id: notes.id })
        .from(notes)
        .where(authorShown(notes.attributedTo, { now, in: "notifications" })),
    );
    const searches = plan.filter((step) => /SCAN|SEARCH/.test(step) && !/\bnotes\b/.test(step));
    expect(searches.join("\n")).not.toMatch(/SCAN/);
    for (const index of [
      "blocks_actor_unique",
      "mutes_actor_unique",
      "actors_id_unique",
      "domain_blocks_domain_unique",
    ]) {
      expect(plan.join("\n")).toContain(index);
    }
  });

  /** The condition, among this test's rows only (other files' rows share the database). */
  function authorShownAmong(
    column: Parameters<typeof authorShown>[0],
    where: "timelines" | "notifications",
  ) {
    return and(
      inArray(column as typeof notes.attributedTo, all),
      authorShown(column, { now, in: where }),
    );
  }
});
