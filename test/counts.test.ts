/**
 * The kept counts (`storage/schema-counts.ts`): the triggers keep them equal to a recount
 * through every way the rows change (insert, upsert, tombstone and back, delete, a follow
 * accepted, undone or removed), and the owner's account reads them, one row each.
 */
import { env } from "cloudflare:workers";
import { and, count, eq, isNull } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { counts, follows, notes } from "../src/storage/schema";
import { api, db, OWNER, seedFollow, seedNote } from "./helpers";

const AUTHOR = "https://counted.test/users/author";

async function kept(subject: string, what: "notes" | "followers" | "following") {
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
