/**
 * Upgrade safety: a D1 database of each earlier release (`migrations/releases.json`), and of the
 * first schema, seeded with that release's rows (`test/fixtures/upgrade/`), migrated to the
 * head. Every row is still there as it was; the database is sound; what migrations keep or
 * fill (counts, notification group heads, conversations, both search indexes) agrees with
 * the rows; and the app reads each note and the owner's account back. What a release's data
 * reads as through the client API is `upgrade-0.1.0.test.ts`'s.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { indexOldNotes } from "../src/federation/housekeeping";
import { mastodonId } from "../src/mastodon/ids";
import { searchAccounts } from "../src/storage/account-search";
import { createDb } from "../src/storage/db";
import { unsentFanouts } from "../src/storage/outbox";
import { ftsQuery, searchText } from "../src/storage/search";
import {
  appJson,
  isBefore,
  type Row,
  type StartingPoint,
  snapshot,
  startingPoints,
  upgrade,
} from "./fixtures/upgrade/database";
import { ORIGIN, OWNER } from "./helpers";

/** Rows of one query, as D1 returns them. */
const all = async <T = Row>(db: D1Database, sql: string, ...params: unknown[]) =>
  (
    await db
      .prepare(sql)
      .bind(...params)
      .all<T>()
  ).results;

interface NoteRead {
  seq: number;
  id: string;
  published: number;
  content: string;
  summary: string | null;
  attachments: string | null;
}

const LIVE_NOTES = `SELECT seq, id, published, content, summary, attachments FROM notes
  WHERE deleted_at IS NULL ORDER BY seq`;

/** What the kept counts must be: a count of the rows each one counts (`schema-counts.ts`). */
const RECOUNT = `SELECT what, subject, n FROM (
    SELECT 'notes' AS what, attributed_to AS subject, count(*) AS n FROM notes
      WHERE deleted_at IS NULL GROUP BY attributed_to
    UNION ALL SELECT 'followers', actor, count(*) FROM follows WHERE state = 'accepted' GROUP BY actor
    UNION ALL SELECT 'following', follower, count(*) FROM follows WHERE state = 'accepted' GROUP BY follower
    UNION ALL SELECT 'outbox', o.actor, count(*) FROM outbox o LEFT JOIN notes t ON t.id = o.object_id
      WHERE o.type IN ('Create', 'Announce') AND o.visibility IN ('public', 'unlisted')
        AND (t.seq IS NULL OR t.deleted_at IS NULL) GROUP BY o.actor
    UNION ALL SELECT 'replies', in_reply_to, count(*) FROM notes
      WHERE in_reply_to IS NOT NULL AND deleted_at IS NULL GROUP BY in_reply_to)
  ORDER BY what, subject`;

const REACTIONS_RECOUNT = `SELECT id,
    (SELECT count(*) FROM reactions r WHERE r.object = n.id AND r.type = 'Like') AS likes_count,
    (SELECT count(*) FROM reactions r WHERE r.object = n.id AND r.type = 'Announce') AS shares_count
  FROM notes n ORDER BY seq`;

/** The migration that added `outbox.fanned_out_at` (0029 fills it on the rows before it). */
const DELIVERY_TRACKING = "0003_delivery_tracking";
/**
 * When 0003 was applied, as wrangler records it (`CURRENT_TIMESTAMP`: UTC text, to the
 * second): after the first schema's activities, all published by 2026-01-01 06:00.
 */
const DELIVERY_TRACKING_APPLIED = "2026-01-02 00:00:00";
/** An activity stored after 0003 was applied, by code that queues it, and not queued yet. */
const UNSENT = {
  id: `${ORIGIN}/activities/stored-after-0003-not-queued`,
  published: Date.parse("2026-01-03T00:00:00Z"),
};

/** Once 0003 is applied: it is dated as deployed, and an activity is stored since, unsent. */
async function storeAfterDeliveryTracking(db: D1Database): Promise<void> {
  const payload = {
    id: UNSENT.id,
    type: "Follow",
    actor: OWNER,
    object: "https://bob.example/users/bob",
  };
  await db.batch([
    db
      .prepare("UPDATE d1_migrations SET applied_at = ?1 WHERE name = ?2")
      .bind(DELIVERY_TRACKING_APPLIED, `${DELIVERY_TRACKING}.sql`),
    db
      .prepare(
        `INSERT INTO outbox (id, actor, type, object_id, visibility, payload, published, fanned_out_at)
        VALUES (?1, ?2, 'Follow', ?3, 'direct', ?4, ?5, NULL)`,
      )
      .bind(UNSENT.id, OWNER, payload.object, JSON.stringify(payload), UNSENT.published),
  ]);
}

describe.each(startingPoints())(
  "a database of $name, migrated to the head",
  (from: StartingPoint) => {
    let db: D1Database;
    let before: Map<string, Row[]>;
    let upgradeStarted = 0;

    beforeAll(async () => {
      db = await upgrade(from, {
        seeded: async (seeded) => {
          before = await snapshot(seeded);
          upgradeStarted = Date.now();
        },
        midway: { after: DELIVERY_TRACKING, run: storeAfterDeliveryTracking },
      });
    });

    it("has run every migration, once, in order", async () => {
      const ran = await all<{ name: string }>(db, "SELECT name FROM d1_migrations ORDER BY id");
      expect(ran.map((m) => m.name)).toEqual(env.TEST_MIGRATIONS.map((m) => m.name));
    });

    it("keeps every row it held, as it was", async () => {
      const after = await snapshot(db);
      let kept = 0;
      for (const [table, rows] of before) {
        const now = new Map((after.get(table) ?? []).map((r) => [r.__rowid, r]));
        for (const row of rows) {
          const was = expectedAfterUpgrade(table, row, upgradeStarted);
          const is = now.get(row.__rowid);
          expect(is && pick(is, Object.keys(row)), `${table} rowid ${row.__rowid}`).toEqual(was);
          kept++;
        }
      }
      // The fixture seeded something to keep.
      expect(kept).toBeGreaterThan(50);
    });

    it("is sound: its pages, its foreign keys and both full-text indexes", async () => {
      expect(await all(db, "PRAGMA quick_check")).toEqual([{ quick_check: "ok" }]);
      expect(await all(db, "PRAGMA foreign_key_check")).toEqual([]);
      // FTS5 checks its index, and the actors' against the table it indexes (rank 1).
      await db.prepare("INSERT INTO notes_search (notes_search) VALUES ('integrity-check')").run();
      await db
        .prepare("INSERT INTO actors_search (actors_search, rank) VALUES ('integrity-check', 1)")
        .run();
    });

    it("gives old rows what the columns added since then need", async () => {
      const none = async (sql: string) => expect(await all(db, sql), sql).toEqual([]);
      // An account's id is made from its first-seen time (0010, filled by 0011).
      await none("SELECT id FROM actors WHERE created_at = 0");
      // An app that holds the owner's token was let in, or the cron forgets it (0013).
      await none(`SELECT seq FROM oauth_apps WHERE authorized_at IS NULL
        AND seq IN (SELECT app_seq FROM oauth_tokens WHERE kind = 'user')`);
      // No old note has media of the owner's uploads (0026) attached.
      await none("SELECT seq FROM media");
    });

    it("keeps the counts of notes, follows, the outbox, replies, likes and boosts exact", async () => {
      const recounted = await all(db, RECOUNT);
      expect(recounted.length).toBeGreaterThan(5);
      expect(
        await all(db, "SELECT what, subject, n FROM counts WHERE n <> 0 ORDER BY what, subject"),
      ).toEqual(recounted);
      const reactions = await all(db, REACTIONS_RECOUNT);
      expect(reactions.some((n) => Number(n.likes_count) > 1)).toBe(true);
      expect(await all(db, "SELECT id, likes_count, shares_count FROM notes ORDER BY seq")).toEqual(
        reactions,
      );
    });

    it("heads each notification group with its size and its newest", async () => {
      const rows = await all<{
        seq: number;
        account: string;
        group_key: string | null;
        created_at: number;
        group_size: number | null;
        group_newest: string | null;
      }>(
        db,
        "SELECT seq, account, group_key, created_at, group_size, group_newest FROM notifications",
      );
      const id = (r: { created_at: number; seq: number }) =>
        BigInt(mastodonId("notification", r.created_at, r.seq));
      const groups = Map.groupBy(
        rows.filter((r) => r.group_key !== null),
        (r) => r.group_key,
      );
      const expected = rows.map((r) => {
        const group = (groups.get(r.group_key) ?? []).toSorted((a, b) => (id(b) > id(a) ? 1 : -1));
        const head = r.group_key !== null && group[0]?.seq === r.seq;
        const newest = group.slice(0, 8).map((m) => [String(id(m)), m.account]);
        return { seq: r.seq, size: head ? group.length : null, newest: head ? newest : null };
      });
      const read = rows.map((r) => ({
        seq: r.seq,
        size: r.group_size,
        newest: r.group_newest === null ? null : JSON.parse(r.group_newest),
      }));
      expect(read).toEqual(expected);
    });

    it("holds each live direct note in its thread's conversation, listed by its newest", async () => {
      const none = async (sql: string) => expect(await all(db, sql), sql).toEqual([]);
      // Every live direct note is in a conversation, and nothing else is.
      await none(`SELECT seq FROM notes WHERE visibility = 'direct' AND deleted_at IS NULL
      AND seq NOT IN (SELECT note_seq FROM conversation_notes)`);
      await none(`SELECT m.note_seq FROM conversation_notes m LEFT JOIN notes n ON n.seq = m.note_seq
      WHERE n.seq IS NULL OR n.visibility <> 'direct' OR n.deleted_at IS NOT NULL`);
      // A reply to a live direct note is in its conversation.
      await none(`SELECT n.seq FROM notes n JOIN notes p ON p.id = n.in_reply_to
      JOIN conversation_notes mn ON mn.note_seq = n.seq JOIN conversation_notes mp ON mp.note_seq = p.seq
      WHERE mn.conversation <> mp.conversation`);
      // A conversation is listed by its newest note, and has one.
      await none(`SELECT c.seq FROM conversations c WHERE c.last_note_seq IS NOT (
      SELECT m.note_seq FROM conversation_notes m JOIN notes n ON n.seq = m.note_seq
      WHERE m.conversation = c.seq ORDER BY (n.published << 16) | ((n.seq & 32767) << 1) DESC LIMIT 1)
      OR c.last_status_id <> (SELECT (n.published << 16) | ((n.seq & 32767) << 1) FROM notes n
        WHERE n.seq = c.last_note_seq)`);
      expect(await all(db, "SELECT seq FROM conversations")).not.toEqual([]);
    });

    // 0003 added `outbox.fanned_out_at` and left it empty on the rows before it, which the
    // cron takes for activities never queued: it would send every one of them again (0029
    // fills it).
    it("leaves the cron no activity of before the upgrade to send again", async () => {
      const before = new Date(upgradeStarted - 5 * 60_000);
      expect(await all(db, "SELECT count(*) AS n FROM outbox")).not.toEqual([{ n: 0 }]);
      // But the one stored since 0003 and never queued, which it must still send.
      const unsent = isBefore(from.through, DELIVERY_TRACKING) ? [{ id: UNSENT.id }] : [];
      expect(await unsentFanouts(createDb(db), { before, limit: 100 })).toEqual(unsent);
    });

    it.runIf(isBefore(from.through, DELIVERY_TRACKING))(
      "marks sent (at their publication) the activities of before 0003 only",
      async () => {
        const applied = Date.parse(`${DELIVERY_TRACKING_APPLIED.replace(" ", "T")}Z`);
        const rows = await all<{ id: string; published: number; fanned_out_at: number | null }>(
          db,
          "SELECT id, published, fanned_out_at FROM outbox ORDER BY seq",
        );
        const older = rows.filter((r) => r.published < applied);
        expect(older.length).toBeGreaterThan(5);
        for (const row of older) expect(row.fanned_out_at, row.id).toBe(row.published);
        expect(rows.filter((r) => r.published >= applied)).toEqual([
          { id: UNSENT.id, published: UNSENT.published, fanned_out_at: null },
        ]);
      },
    );

    // 0031 fills `host_contacts` from the delivery records kept before it (the hosts page's
    // "last success"): only done batches, and not a host the activity did not reach.
    it("knows when each host last took a delivery before the upgrade", async () => {
      const batches = await all<{ n: number }>(db, "SELECT count(*) AS n FROM delivery_batches");
      const expected = await all<{ host: string; last_success_at: number }>(
        db,
        `SELECT h.value AS host, max(b.done_at) AS last_success_at
        FROM delivery_batches b, json_each(b.hosts) h
        WHERE b.state = 'done' AND NOT EXISTS (SELECT 1 FROM delivery_failures f
          WHERE f.activity_id = b.activity_id AND f.host = h.value)
        GROUP BY h.value ORDER BY h.value`,
      );
      const read = await all(
        db,
        "SELECT host, last_success_at, gone_at FROM host_contacts ORDER BY host",
      );
      expect(read).toEqual(expected.map((row) => ({ ...row, gone_at: null })));
      if (from.name === "0.1.0") {
        expect(batches[0]?.n).toBeGreaterThan(1);
        // bob.example was reached by the done batch; its failure is another activity's.
        expect(read.map((row) => row.host)).toEqual(["alice.test", "bob.example", "social.test"]);
        expect(read[0]?.last_success_at).toBe(1780272002000);
      }
    });

    it("finds every live note by its words (once the cron has indexed the old ones)", async () => {
      const app = createDb(db);
      for (let run = 0; run < 20 && (await indexOldNotes({ db: app })) > 0; run++);
      const live = await all<NoteRead>(db, LIVE_NOTES);
      const indexed = await all<{ rowid: number }>(
        db,
        "SELECT rowid FROM notes_search WHERE rowid > 0 ORDER BY rowid",
      );
      expect(indexed.map((r) => r.rowid)).toEqual(live.map((n) => n.seq));
      for (const note of live) {
        const text = searchText({
          ...note,
          attachments: note.attachments === null ? null : JSON.parse(note.attachments),
        });
        const word = text.split(/[^\p{L}\p{N}]+/u).reduce((a, b) => (b.length > a.length ? b : a));
        const found = await all<{ rowid: number }>(
          db,
          "SELECT rowid FROM notes_search WHERE notes_search MATCH ?",
          ftsQuery(word),
        );
        expect(
          found.map((r) => r.rowid),
          `"${word}" of ${note.id}`,
        ).toContain(note.seq);
      }
    });

    it("finds every account by its handle and by a word of its name", async () => {
      const actors = await all<{
        seq: number;
        preferred_username: string;
        domain: string;
        name: string;
      }>(db, "SELECT seq, preferred_username, domain, name FROM actors ORDER BY seq");
      expect(actors.length).toBeGreaterThan(2);
      const search = { owner: OWNER, following: false, limit: 40, offset: 0 };
      for (const actor of actors) {
        const byHandle = await searchAccounts(createDb(db), {
          ...search,
          username: actor.preferred_username,
          host: actor.domain,
        });
        expect(byHandle.map((a) => a.seq)).toContain(actor.seq);
        const word = actor.name.split(" ").at(-1) ?? "";
        const byName = await searchAccounts(createDb(db), { ...search, username: word });
        expect(
          byName.map((a) => a.seq),
          `"${word}"`,
        ).toContain(actor.seq);
      }
    });

    it("serves each live note as a status with its counts, and the owner's account", async () => {
      const live = await all<NoteRead & { likes: number; shares: number; replies: number }>(
        db,
        `SELECT n.seq, n.id, n.published,
        (SELECT count(*) FROM reactions r WHERE r.object = n.id AND r.type = 'Like') AS likes,
        (SELECT count(*) FROM reactions r WHERE r.object = n.id AND r.type = 'Announce') AS shares,
        (SELECT count(*) FROM notes c WHERE c.in_reply_to = n.id AND c.deleted_at IS NULL) AS replies
      FROM notes n WHERE n.deleted_at IS NULL ORDER BY n.seq`,
      );
      for (const note of live) {
        const status = await appJson<Record<string, unknown>>(
          db,
          `/api/v1/statuses/${mastodonId("note", note.published, note.seq)}`,
        );
        expect(status).toMatchObject({
          uri: note.id,
          favourites_count: note.likes,
          reblogs_count: note.shares,
          replies_count: note.replies,
        });
      }
      const [owner] = await all<{ notes: number; followers: number; following: number }>(
        db,
        `SELECT (SELECT count(*) FROM notes WHERE attributed_to = ?1 AND deleted_at IS NULL) AS notes,
        (SELECT count(*) FROM follows WHERE actor = ?1 AND state = 'accepted') AS followers,
        (SELECT count(*) FROM follows WHERE follower = ?1 AND state = 'accepted') AS following`,
        OWNER,
      );
      expect(await appJson(db, "/api/v1/accounts/verify_credentials")).toMatchObject({
        statuses_count: owner?.notes,
        followers_count: owner?.followers,
        following_count: owner?.following,
      });
    });
  },
);

/** `row` as it must read after the upgrade: a note dated in the future is brought to its time. */
function expectedAfterUpgrade(table: string, row: Row, upgradeStarted: number): Row {
  const published = Number(row.published);
  if (table !== "notes" || published <= upgradeStarted) return row;
  // 0012 clamps it to the migration's time, in whole seconds.
  const from = Math.floor(upgradeStarted / 1000) * 1000;
  return { ...row, published: expect.toSatisfy((v: number) => v >= from && v <= Date.now()) };
}

function pick(row: Row, keys: readonly string[]): Row {
  return Object.fromEntries(keys.map((k) => [k, row[k]]));
}
