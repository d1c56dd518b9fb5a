/**
 * The owner's CSV exports (`/api/outpost/exports/*.csv`): Mastodon's files, byte for byte its
 * formats (app/models/export.rb), newest first, walked a page at a time past the page size;
 * and who may download them.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { EXPORT_PAGE } from "../src/federation/export/csv";
import { followedAccounts, likedNotes, postedActivities } from "../src/storage/exports";
import { blocks, bookmarks, domainBlocks, mutes } from "../src/storage/schema";
import { api, db, OWNER, plansOf, seedFollow, seedNote, tick } from "./helpers";
import { storeActorRow } from "./support/account-io";
import { registerApp, signIn } from "./support/oauth";

const FOLLOWING_HEADER = "Account address,Show boosts,Notify on new posts,Languages";

async function download(file: string, token?: string | null) {
  const res = await api(`/outpost/exports/${file}`, { token });
  return { res, text: res.status === 200 ? await res.text() : "" };
}

let tokens: { follows: string; statuses: string; read: string };

beforeAll(async () => {
  const app = await registerApp({ client_name: "Exporter" });
  tokens = {
    follows: await signIn(app, { scope: "read:follows", address: "10.30.0.1" }),
    statuses: await signIn(app, { scope: "read:statuses", address: "10.30.0.2" }),
    read: await signIn(app, { scope: "read", address: "10.30.0.3" }),
  };
});

describe("following_accounts.csv", () => {
  it("lists the accepted follows as Mastodon's export does, newest first, requests left out", async () => {
    const first = await storeActorRow("first", "exp-a.test");
    const second = await storeActorRow("second", "exp-b.test:8443");
    const asked = await storeActorRow("asked", "exp-c.test");
    await seedFollow(first, OWNER);
    await seedFollow(second, OWNER);
    await seedFollow(asked, OWNER, "pending");
    // Someone following the owner is no follow of the owner's.
    await seedFollow(OWNER, await storeActorRow("fan", "exp-d.test"));
    const { res, text } = await download("following_accounts.csv");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("Content-Disposition")).toBe(
      'attachment; filename="following_accounts.csv"',
    );
    expect(res.headers.get("Cache-Control")).toBe("private, no-store");
    expect(text).toBe(
      `${FOLLOWING_HEADER}\nsecond@exp-b.test:8443,true,false,\nfirst@exp-a.test,true,false,\n`,
    );
  });
});

describe("the other lists", () => {
  it("blocked accounts, muted accounts, blocked domains and bookmarks, in Mastodon's shapes", async () => {
    const blocked = await storeActorRow("blocked", "exp-e.test");
    const muted = await storeActorRow("muted", "exp-f.test");
    const quiet = await storeActorRow("quiet", "exp-g.test");
    const over = await storeActorRow("over", "exp-h.test");
    await db()
      .insert(blocks)
      .values({ actor: blocked, activityId: `${OWNER}#b1`, createdAt: tick() });
    await db()
      .insert(mutes)
      .values([
        { actor: muted, notifications: true, createdAt: tick() },
        { actor: quiet, notifications: false, createdAt: tick() },
        // A mute that has ended is not one.
        {
          actor: over,
          notifications: true,
          expiresAt: new Date(Date.now() - 1000),
          createdAt: tick(),
        },
      ]);
    await db()
      .insert(domainBlocks)
      .values([
        { domain: "spam.exp.test", createdAt: tick() },
        { domain: "worse.exp.test", createdAt: tick() },
      ]);
    const kept = await seedNote();
    const gone = await seedNote({ deleted: true });
    await db()
      .insert(bookmarks)
      .values([
        { note: kept.id, createdAt: tick() },
        { note: gone.id, createdAt: tick() },
      ]);

    const blockedCsv = await download("blocked_accounts.csv");
    expect(blockedCsv.res.headers.get("Content-Disposition")).toBe(
      'attachment; filename="blocked_accounts.csv"',
    );
    expect(blockedCsv.text).toBe("blocked@exp-e.test\n");
    expect((await download("muted_accounts.csv")).text).toBe(
      "Account address,Hide notifications\nquiet@exp-g.test,false\nmuted@exp-f.test,true\n",
    );
    expect((await download("blocked_domains.csv")).text).toBe("worse.exp.test\nspam.exp.test\n");
    // A bookmark of a note since deleted is left out, as Mastodon leaves it.
    expect((await download("bookmarks.csv")).text).toBe(`${kept.id}\n`);
  });
});

describe("a long list", () => {
  it("is walked a page at a time: every follow once, newest first", async () => {
    const n = EXPORT_PAGE * 2 + 3;
    // Actors and follows made in SQL: a thousand rows in two statements.
    await env.DB.prepare(
      `with recursive i(n) as (select 1 union all select n + 1 from i where n < ?1)
       insert into actors (id, type, preferred_username, domain, inbox, fetched_at, created_at)
       select 'https://bulk.exp.test/users/u' || n, 'Person', 'u' || n, 'bulk.exp.test',
              'https://bulk.exp.test/users/u' || n || '/inbox', 0, 0 from i`,
    )
      .bind(n)
      .run();
    await env.DB.prepare(
      `insert into follows (actor, follower, state, created_at)
       select id, ?1, 'accepted', 0 from actors where domain = 'bulk.exp.test' order by seq`,
    )
      .bind(OWNER)
      .run();
    const { text } = await download("following_accounts.csv");
    const bulk = text.split("\n").filter((line) => line.includes("@bulk.exp.test"));
    expect(bulk).toHaveLength(n);
    expect(new Set(bulk).size).toBe(n);
    expect(bulk[0]).toBe(`u${n}@bulk.exp.test,true,false,`);
    expect(bulk.at(-1)).toBe("u1@bulk.exp.test,true,false,");
  });
});

describe("reading", () => {
  it("walks each list by an index from its cursor", async () => {
    const walk = { order: "newest", from: 1000, limit: EXPORT_PAGE } as const;
    const [following] = await plansOf((d) => followedAccounts(d, OWNER, walk));
    expect(following?.join("\n")).toContain(
      "USING INDEX follows_follower_idx (follower=? AND rowid<?)",
    );
    const [posted] = await plansOf((d) => postedActivities(d, OWNER, { ...walk, order: "oldest" }));
    expect(posted?.join("\n")).toContain("USING INDEX outbox_actor_idx (actor=? AND rowid>?)");
    const [liked] = await plansOf((d) => likedNotes(d, OWNER, walk));
    expect(liked?.join("\n")).toContain("USING INDEX reactions_actor_idx (actor=? AND rowid<?)");
  });
});

describe("who may download", () => {
  it("needs a token, with the scope Mastodon's API asks to read the same list", async () => {
    expect((await download("following_accounts.csv", null)).res.status).toBe(401);
    expect((await download("following_accounts.csv", tokens.statuses)).res.status).toBe(403);
    expect((await download("following_accounts.csv", tokens.follows)).res.status).toBe(200);
    expect((await download("blocked_accounts.csv", tokens.follows)).res.status).toBe(403);
    expect((await download("bookmarks.csv", tokens.read)).res.status).toBe(200);
    // The archive holds everything: `read` alone opens it.
    expect((await download("archive", tokens.follows)).res.status).toBe(403);
    expect((await api("/outpost/exports/nothing.csv")).status).toBe(404);
  });
});
