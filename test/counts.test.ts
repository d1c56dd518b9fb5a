/**
 * The kept counts (`storage/schema-counts.ts`): the triggers keep them equal to a recount
 * through every way the rows change (insert, upsert, tombstone and back, delete, a follow
 * accepted, undone or removed), and the owner's account reads them, one row each.
 */
import { env, exports } from "cloudflare:workers";
import { and, count, eq, isNull } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { type Counted, counts, follows, notes } from "../src/storage/schema";
import { api, db, OWNER, seedFollow, seedNote } from "./helpers";

const AUTHOR = "https://counted.test/users/author";

async function kept(subject: string, what: Counted) {
  const [row] = await db()
    .select({ n: counts.n })
    .from(counts)
    .where(and(eq(counts.subject, subject), eq(counts.what, what)));
  return row?.n ?? 0;
}

async function recounted(subject: string, what: "notes" | "followers" | "following") {
  const where =
    what === "notes"
      ? and(eq(notes.attributedTo, subject), isNull(notes.deletedAt))
      : and(
          eq(what === "followers" ? follows.actor : follows.follower, subject),
          eq(follows.state, "accepted"),
        );
  const [row] = await db()
    .select({ n: count() })
    .from(what === "notes" ? notes : follows)
    .where(where);
  return row?.n ?? 0;
}

describe("kept counts", () => {
  it("follow an author's notes through inserts, upserts, tombstones, revivals and deletes", async () => {
    const expectKept = async (n: number) => {
      expect(await kept(AUTHOR, "notes")).toBe(n);
      expect(await recounted(AUTHOR, "notes")).toBe(n);
    };
    for (let i = 0; i < 3; i++) await seedNote({ id: `counted-${i}`, attributedTo: AUTHOR });
    await expectKept(3);
    const id = `${OWNER}/statuses/counted-0`;
    // An upsert that updates (an edit received again) changes nothing.
    await env.DB.prepare(
      "INSERT INTO notes (id, attributed_to, visibility, published, content) VALUES (?, ?, 'public', ?, 'again') ON CONFLICT (id) DO UPDATE SET content = excluded.content",
    )
      .bind(id, AUTHOR, Date.now())
      .run();
    await expectKept(3);
    await db().update(notes).set({ deletedAt: new Date() }).where(eq(notes.id, id));
    await expectKept(2);
    // Tombstoned again: no change; revived: back.
    await db().update(notes).set({ deletedAt: new Date() }).where(eq(notes.id, id));
    await expectKept(2);
    await db().update(notes).set({ deletedAt: null }).where(eq(notes.id, id));
    await expectKept(3);
    await db()
      .delete(notes)
      .where(eq(notes.id, `${OWNER}/statuses/counted-1`));
    await expectKept(2);
    // A tombstone deleted for good was counted out already.
    await db().update(notes).set({ deletedAt: new Date() }).where(eq(notes.id, id));
    await db().delete(notes).where(eq(notes.id, id));
    await expectKept(1);
  });

  it("follow accepted follows on both sides: requested, accepted, undone, removed", async () => {
    const actor = "https://counted.test/users/followed";
    const follower = "https://counted.test/users/follower";
    const both = async (n: number) => {
      for (const [subject, what] of [
        [actor, "followers"],
        [follower, "following"],
      ] as const) {
        expect(await kept(subject, what)).toBe(n);
        expect(await recounted(subject, what)).toBe(n);
      }
    };
    await seedFollow(actor, follower, "pending");
    await both(0);
    await db().update(follows).set({ state: "accepted" }).where(eq(follows.actor, actor));
    await both(1);
    await db().update(follows).set({ state: "accepted" }).where(eq(follows.actor, actor));
    await both(1);
    await db().update(follows).set({ state: "pending" }).where(eq(follows.actor, actor));
    await both(0);
    await db().update(follows).set({ state: "accepted" }).where(eq(follows.actor, actor));
    await db().delete(follows).where(eq(follows.actor, actor));
    await both(0);
    await seedFollow(actor, follower);
    await seedFollow(actor, "https://counted.test/users/another");
    expect(await kept(actor, "followers")).toBe(2);
  });

  it("are what the owner's account shows, moving as the owner posts and deletes", async () => {
    const me = async () =>
      (await (await api("/v1/accounts/verify_credentials")).json()) as {
        statuses_count: number;
        followers_count: number;
        following_count: number;
      };
    const before = await me();
    expect(before.statuses_count).toBe(await recounted(OWNER, "notes"));
    const res = await api("/v1/statuses", { body: { status: "counted" } });
    const { id } = (await res.json()) as { id: string };
    expect((await me()).statuses_count).toBe(before.statuses_count + 1);
    await api(`/v1/statuses/${id}`, { method: "DELETE" });
    expect((await me()).statuses_count).toBe(before.statuses_count);
    await seedFollow(OWNER, "https://counted.test/users/fan");
    expect((await me()).followers_count).toBe(before.followers_count + 1);
  });
});

describe("the outbox's kept count", () => {
  /** What the outbox collection lists, counted as `countOutbox` once did (a join). */
  async function recountOutbox(): Promise<number> {
    const row = await env.DB.prepare(
      `SELECT count(*) AS n FROM outbox o LEFT JOIN notes t ON t.id = o.object_id
       WHERE o.actor = ? AND o.type IN ('Create', 'Announce') AND o.visibility IN ('public', 'unlisted')
         AND (t.seq IS NULL OR t.deleted_at IS NULL)`,
    )
      .bind(OWNER)
      .first<{ n: number }>();
    return row?.n ?? 0;
  }
  const totalItems = async () =>
    (
      (await (
        await exports.default.fetch(`${OWNER}/outbox`, {
          headers: { Accept: "application/activity+json" },
        })
      ).json()) as { totalItems: number }
    ).totalItems;

  it("lists public and unlisted posts and boosts, and drops a post once deleted", async () => {
    // (The seeded note comes with a Create of the owner's, as the helper stores one.)
    const remote = await seedNote({ id: "boosted-remote", attributedTo: AUTHOR });
    const start = await recountOutbox();
    expect(await kept(OWNER, "outbox")).toBe(start);
    const post = async (status: string, visibility: string) =>
      (
        (await (await api("/v1/statuses", { body: { status, visibility } })).json()) as {
          id: string;
        }
      ).id;
    const open = await post("listed", "public");
    await post("quiet", "unlisted");
    await post("for followers", "private");
    expect(await kept(OWNER, "outbox")).toBe(start + 2);
    // A boost is listed; when its note is deleted, no longer (nor is the note's Create).
    const boost = await api(`/v1/statuses/${remote.statusId}/reblog`, { method: "POST" });
    expect(boost.status, await boost.clone().text()).toBe(200);
    expect(await kept(OWNER, "outbox")).toBe(start + 3);
    await db().update(notes).set({ deletedAt: new Date() }).where(eq(notes.id, remote.id));
    expect(await kept(OWNER, "outbox")).toBe(start + 1);
    expect(await recountOutbox()).toBe(start + 1);
    await api(`/v1/statuses/${open}`, { method: "DELETE" });
    expect(await kept(OWNER, "outbox")).toBe(start);
    expect(await recountOutbox()).toBe(start);
    expect(await totalItems()).toBe(start);
  });
});

describe("a note's kept reply count", () => {
  const PARENT = `${OWNER}/statuses/replied-to`;
  const OTHER = "https://counted.test/users/author/statuses/elsewhere";

  async function recountReplies(parent: string): Promise<number> {
    const [row] = await db()
      .select({ n: count() })
      .from(notes)
      .where(and(eq(notes.inReplyTo, parent), isNull(notes.deletedAt)));
    return row?.n ?? 0;
  }
  const expectReplies = async (parent: string, n: number) => {
    expect(await kept(parent, "replies")).toBe(n);
    expect(await recountReplies(parent)).toBe(n);
  };

  it("follows replies stored, tombstoned and back, moved to another note, deleted", async () => {
    await seedNote({ id: "replied-to" });
    for (let i = 0; i < 3; i++) {
      await seedNote({ id: `reply-${i}`, inReplyTo: PARENT, attributedTo: AUTHOR });
    }
    // Stored already deleted: not counted.
    await seedNote({ id: "reply-gone", inReplyTo: PARENT, deleted: true });
    await expectReplies(PARENT, 3);
    const reply = (i: number) => eq(notes.id, `${OWNER}/statuses/reply-${i}`);
    await db().update(notes).set({ deletedAt: new Date() }).where(reply(0));
    await expectReplies(PARENT, 2);
    await db().update(notes).set({ deletedAt: new Date() }).where(reply(0));
    await expectReplies(PARENT, 2);
    await db().update(notes).set({ deletedAt: null }).where(reply(0));
    await expectReplies(PARENT, 3);
    // Answering another note (the parent need not be stored).
    await db().update(notes).set({ inReplyTo: OTHER }).where(reply(1));
    await expectReplies(PARENT, 2);
    await expectReplies(OTHER, 1);
    await db().delete(notes).where(reply(2));
    await expectReplies(PARENT, 1);
    // A tombstone deleted for good was counted out already.
    await db().update(notes).set({ deletedAt: new Date() }).where(reply(0));
    await db().delete(notes).where(reply(0));
    await expectReplies(PARENT, 0);
  });

  it("is what a status shows", async () => {
    const parent = await seedNote({ id: "shown-replies" });
    for (let i = 0; i < 2; i++) {
      await seedNote({ id: `shown-reply-${i}`, inReplyTo: parent.id, attributedTo: AUTHOR });
    }
    const res = await api(`/v1/statuses/${parent.statusId}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { replies_count: number }).replies_count).toBe(2);
  });
});
