/**
 * What the owner keeps away and sorts in their notifications (blocks, mutes covering
 * notifications, domain blocks, the `notifications` filters), in `/api/v1` and `/api/v2`; the
 * unread counts from the notifications marker; dismissing one or a group, clearing them all;
 * and what a block forgets.
 */
import { describe, expect, it } from "vitest";
import { notificationId } from "../src/mastodon/ids";
import { runBatch } from "../src/storage/db";
import { countUnread } from "../src/storage/notification-pages";
import {
  forgetBlockedNotifications,
  groupKeyFor,
  notifyStatement,
} from "../src/storage/notifications";
import { blockDomainStatement, blockStatement, muteStatement } from "../src/storage/safety";
import { actors, type NotificationRow, notifications } from "../src/storage/schema";
import { api, db, plansOf, seedNote, tick } from "./helpers";
import type { Grouped, Notification } from "./support/notifications";
import { json } from "./support/sorting";

/** A remote account on a host of its own; its actor id. */
async function account(name: string, host = `${name}.notes.test`): Promise<string> {
  const id = `https://${host}/users/${name}`;
  await db()
    .insert(actors)
    .values({
      id,
      type: "Person",
      preferredUsername: name,
      domain: host,
      inbox: `${id}/inbox`,
      fetchedAt: new Date(),
      createdAt: tick(),
    });
  return id;
}

/** Records a notification as the inbox does (grouped as it groups them); its row. */
async function notify(input: {
  type: NotificationRow["type"];
  account: string;
  target?: { id: string; seq: number };
}): Promise<NotificationRow> {
  const at = tick();
  const groupKey = groupKeyFor({ type: input.type, statusSeq: input.target?.seq, at });
  await runBatch(db(), [
    notifyStatement(db(), {
      type: input.type,
      account: input.account,
      target: input.target?.id,
      groupKey,
      createdAt: at,
    }),
  ]);
  const rows = await db().select().from(notifications);
  const row = rows.find(
    (r) =>
      r.account === input.account && r.type === input.type && r.target === (input.target?.id ?? ""),
  );
  if (row === undefined) throw new Error("notification not stored");
  return row;
}

const v1 = async (query = "limit=80") => json<Notification[]>(api(`/v1/notifications?${query}`));
const v2 = async (query = "limit=80") => json<Grouped>(api(`/v2/notifications?${query}`));
const unread = async (version: 1 | 2, query = "") =>
  (await json<{ count: number }>(api(`/v${version}/notifications/unread_count?${query}`))).count;

describe("what the owner keeps away", () => {
  it("leaves out the notifications of blocked, notification-muted and domain-blocked accounts, everywhere", async () => {
    const note = await seedNote();
    const [amy, ben, cat, dot, eli] = [
      await account("amy"),
      await account("ben"),
      await account("cat", "cat.far.test"),
      await account("dot"),
      await account("eli"),
    ];
    const rows = [];
    for (const who of [amy, ben, cat, dot, eli]) {
      rows.push(await notify({ type: "mention", account: who, target: note }));
    }
    const ids = rows.map((r) => notificationId(r));
    expect((await v1()).map((n) => n.id)).toEqual(expect.arrayContaining(ids));
    const before = await unread(1, "types[]=mention");
    const at = new Date();
    await runBatch(db(), [
      blockStatement(db(), { actor: amy, activityId: "https://outpost.test/blocks/1", at }),
      muteStatement(db(), { actor: ben, notifications: true, expiresAt: null, at }),
      blockDomainStatement(db(), "cat.far.test", at),
      // A mute that leaves notifications alone, and one that has ended.
      muteStatement(db(), { actor: dot, notifications: false, expiresAt: null, at }),
      muteStatement(db(), {
        actor: eli,
        notifications: true,
        expiresAt: new Date(Date.now() - 1000),
        at,
      }),
    ]);
    const listed = (await v1()).map((n) => n.id);
    for (const id of ids.slice(0, 3)) expect(listed).not.toContain(id);
    for (const id of ids.slice(3)) expect(listed).toContain(id);
    const grouped = await v2();
    const keys = grouped.notification_groups.map((g) => g.group_key);
    for (const id of ids.slice(0, 3)) expect(keys).not.toContain(`ungrouped-${id}`);
    for (const id of ids.slice(3)) expect(keys).toContain(`ungrouped-${id}`);
    expect(await unread(1, "types[]=mention")).toBe(before - 3);
  });

  it("shows a group whose newest is by a muted account, with its others", async () => {
    const note = await seedNote();
    const [fay, gil, hal] = [await account("fay"), await account("gil"), await account("hal")];
    for (const who of [fay, gil, hal])
      await notify({ type: "favourite", account: who, target: note });
    await runBatch(db(), [
      muteStatement(db(), { actor: hal, notifications: true, expiresAt: null, at: new Date() }),
    ]);
    const { notification_groups: groups, accounts } = await v2();
    const group = groups.find((g) => g.status_id === note.statusId);
    expect(group).toBeDefined();
    const uriOf = new Map(accounts.map((a) => [a.id, a.uri]));
    expect(group?.sample_account_ids.map((id) => uriOf.get(id))).toEqual([gil, fay]);
    // The newest page and a walk from a cursor agree.
    const walked = await v2(`limit=80&max_id=${BigInt(Date.now()) << 16n}`);
    const same = walked.notification_groups.find((g) => g.status_id === note.statusId);
    expect(same?.sample_account_ids).toEqual(group?.sample_account_ids);
  });
});

describe("filters", () => {
  it("drops what a notifications hide filter matches, marks what a warn filter matches, not home's", async () => {
    const hidden = await seedNote({ content: "<p>a secret plan</p>" });
    const warned = await seedNote({ content: "<p>a loud rant</p>" });
    const homeOnly = await seedNote({ content: "<p>a cat picture</p>" });
    const ivy = await account("ivy");
    const rows = [];
    for (const note of [hidden, warned, homeOnly]) {
      rows.push(await notify({ type: "favourite", account: ivy, target: note }));
    }
    for (const [title, context, action, keyword] of [
      ["Secrets", "notifications", "hide", "secret"],
      ["Rants", "notifications", "warn", "rant"],
      ["Cats", "home", "hide", "cat"],
    ]) {
      await json(
        api("/v2/filters", {
          body: {
            title,
            context: [context],
            filter_action: action,
            keywords_attributes: [{ keyword }],
          },
        }),
      );
    }
    const list = await v1();
    const byId = new Map(list.map((n) => [n.id, n]));
    expect(byId.has(notificationId(rows[0] as NotificationRow))).toBe(false);
    const rant = byId.get(notificationId(rows[1] as NotificationRow)) as unknown as {
      status: { filtered: { filter: { title: string } }[] };
    };
    expect(rant.status.filtered.map((f) => f.filter.title)).toEqual(["Rants"]);
    expect(byId.has(notificationId(rows[2] as NotificationRow))).toBe(true);
    const grouped = await v2();
    const statusIds = grouped.notification_groups.map((g) => g.status_id);
    expect(statusIds).not.toContain(hidden.statusId);
    expect(statusIds).toContain(warned.statusId);
    expect(statusIds).toContain(homeOnly.statusId);
    const shown = grouped.statuses.find((s) => s.id === warned.statusId) as unknown as {
      filtered: { filter: { title: string } }[];
    };
    expect(shown.filtered.map((f) => f.filter.title)).toEqual(["Rants"]);
  });
});

describe("unread counts", () => {
  it("count what is newer than the marker, of the types asked, up to the limit", async () => {
    const note = await seedNote();
    const likers = [];
    for (let n = 0; n < 4; n++) likers.push(await account(`liker${n}`));
    const jim = await account("jim");
    const first = await notify({ type: "follow", account: jim });
    await json(
      api("/v1/markers", { body: { notifications: { last_read_id: notificationId(first) } } }),
    );
    expect(await unread(1)).toBe(0);
    expect(await unread(2)).toBe(0);
    for (const liker of likers) await notify({ type: "favourite", account: liker, target: note });
    await notify({ type: "mention", account: jim, target: note });
    expect(await unread(1)).toBe(5);
    expect(await unread(1, "types[]=mention")).toBe(1);
    expect(await unread(1, "exclude_types[]=mention")).toBe(4);
    expect(await unread(1, "limit=2")).toBe(2);
    // Grouped: the four likes of one post are one group, the mention another.
    expect(await unread(2)).toBe(2);
    expect(await unread(2, "grouped_types[]=follow")).toBe(5);
    expect(await unread(2, "types[]=favourite")).toBe(1);
    expect(await unread(2, "limit=1")).toBe(1);
    // A limit past the cap is lowered to it; a malformed one is refused.
    expect(await unread(1, "limit=5000")).toBe(5);
    for (const version of [1, 2]) {
      const res = await api(`/v${version}/notifications/unread_count?limit=ten`);
      expect(res.status).toBe(400);
    }
  });

  it("walks the ids up from the marker through their index, stopping at the cap", async () => {
    const plans = await plansOf((d) => countUnread(d, { limit: 100, now: new Date() }));
    const detail = plans.flat().join("\n");
    expect(detail).toMatch(
      /SEARCH notifications USING INDEX notifications_api_id_idx \(<expr>>\?\)/,
    );
    expect(detail).not.toMatch(/TEMP B-TREE|^SCAN notifications/m);
  });
});

describe("dismissing and clearing", () => {
  it("dismisses one notification by id (v1), and refuses an id it does not hold", async () => {
    const kim = await account("kim");
    const row = await notify({ type: "follow", account: kim });
    const id = notificationId(row);
    expect(await json(api(`/v1/notifications/${id}/dismiss`, { method: "POST" }))).toEqual({});
    expect((await v1()).map((n) => n.id)).not.toContain(id);
    for (const missing of [id, "12345", "nope"]) {
      const res = await api(`/v1/notifications/${missing}/dismiss`, { method: "POST" });
      expect(res.status).toBe(404);
    }
  });

  it("dismisses a group (v2) by its key, or one ungrouped notification", async () => {
    const note = await seedNote();
    const [lee, max, ned] = [await account("lee"), await account("max"), await account("ned")];
    for (const who of [lee, max]) await notify({ type: "favourite", account: who, target: note });
    const mention = await notify({ type: "mention", account: ned, target: note });
    const before = await v2();
    const group = before.notification_groups.find(
      (g) => g.type === "favourite" && g.status_id === note.statusId,
    );
    expect(group?.notifications_count).toBe(2);
    const key = group?.group_key ?? "";
    expect(await json(api(`/v2/notifications/${key}/dismiss`, { method: "POST" }))).toEqual({});
    const ungrouped = `ungrouped-${notificationId(mention)}`;
    expect(await json(api(`/v2/notifications/${ungrouped}/dismiss`, { method: "POST" }))).toEqual(
      {},
    );
    const keys = (await v2()).notification_groups.map((g) => g.group_key);
    expect(keys).not.toContain(key);
    expect(keys).not.toContain(ungrouped);
    // Nothing there: nothing forgotten, and still `{}`.
    expect(await json(api("/v2/notifications/favourite-0-0/dismiss", { method: "POST" }))).toEqual(
      {},
    );
  });

  it("forgets a blocked account's notifications (for the block's batch)", async () => {
    const oli = await account("oli");
    const row = await notify({ type: "follow", account: oli });
    await runBatch(db(), [forgetBlockedNotifications(db(), oli)]);
    const left = await db().select().from(notifications);
    expect(left.map((r) => r.seq)).not.toContain(row.seq);
  });

  it("clears every notification", async () => {
    expect((await v1()).length).toBeGreaterThan(0);
    expect(await json(api("/v1/notifications/clear", { method: "POST" }))).toEqual({});
    expect(await v1()).toEqual([]);
    expect((await v2()).notification_groups).toEqual([]);
    await notify({ type: "follow", account: await account("pia") });
    expect(await json(api("/v2/notifications/clear", { method: "POST" }))).toEqual({});
    expect(await v1()).toEqual([]);
  });
});
