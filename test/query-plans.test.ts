/**
 * The hot queries use their index, not a table scan. Each query is the one the code runs:
 * it is captured through drizzle's logger and explained with EXPLAIN QUERY PLAN on real D1.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  actorByApiId,
  expireStaleActors,
  findActor,
  findActorByHandle,
  keyHolderQuery,
} from "../src/storage/actors";
import { conversationsPage } from "../src/storage/conversations";
import { createDb, type Db } from "../src/storage/db";
import { deliveriesOf, overdueRetries } from "../src/storage/deliveries";
import { findFollow, pageFollows } from "../src/storage/follows";
import { findReceived, unsentFollowUps } from "../src/storage/inbox";
import { countNotesQuery, findNote, noteByApiId, recentPublicNotes } from "../src/storage/notes";
import { type GroupLead, pageGroups } from "../src/storage/notification-groups";
import { listNotifications } from "../src/storage/notification-pages";
import { summarizeGroups } from "../src/storage/notification-summaries";
import {
  dismissGroupStatement,
  dismissNotificationQuery,
  forgetAccountNotifications,
  latestGroupQuery,
} from "../src/storage/notifications";
import { unsentFanouts } from "../src/storage/outbox";
import { boostByApiId, recountBeforeRemoving, recountReactions } from "../src/storage/reactions";
import { recipientInboxes } from "../src/storage/recipients";
import { notifications, reactions } from "../src/storage/schema";
import { loadStatusData, loadStatuses } from "../src/storage/statuses";
import { OWNER, plansOf, seedFollow, seedNote } from "./helpers";

const ownerFollowersPage = { limit: 20 };

describe("query plans", () => {
  // Some rows, so that the planner sees real tables rather than empty ones.
  beforeAll(async () => {
    for (let n = 0; n < 5; n++) {
      await seedNote({ tags: ["fediverse"] });
      if (n === 0) await seedNote({ id: "query-plan-reply", inReplyTo: `${OWNER}/statuses/1` });
      await seedFollow(OWNER, `https://remote.test/users/f${n}`);
      await seedFollow(`https://remote.test/users/f${n}`, OWNER);
      await createDb(env.DB)
        .insert(notifications)
        .values({
          type: "follow",
          account: `https://remote.test/users/f${n}`,
          groupKey: "follow-1",
          createdAt: new Date(),
        });
    }
  });

  // Each case by name: the query, and the index it must search its table by. (A loop and not
  // `it.each`, whose `$name` would cut the longer names short in the test titles.)
  const indexed: {
    name: string;
    run: (db: Db) => Promise<unknown>;
    table: string;
    index: string;
  }[] = [
    {
      name: "an author's notes, newest first",
      run: (db) => recentPublicNotes(db, OWNER, 20),
      table: "notes",
      index: "notes_author_published_idx",
    },
    {
      name: "object by id",
      run: (db) => findNote(db, `${OWNER}/statuses/1`),
      table: "notes",
      index: "notes_id_unique",
    },
    {
      name: "a status by its Mastodon id",
      run: (db) => noteByApiId(db, (1n << 60n) | 2n),
      table: "notes",
      index: "notes_api_id_idx",
    },
    {
      name: "a boost by its Mastodon id",
      run: (db) => boostByApiId(db, (1n << 60n) | 3n),
      table: "reactions",
      index: "reactions_api_id_idx",
    },
    {
      name: "an account by its Mastodon id",
      run: (db) => actorByApiId(db, (1n << 60n) | 3n),
      table: "actors",
      index: "actors_api_id_idx",
    },
    {
      name: "followers of the owner",
      run: (db) => pageFollows(db, { side: "followers", actor: OWNER }, ownerFollowersPage),
      table: "follows",
      index: "follows_actor_idx",
    },
    {
      name: "whom the owner follows",
      run: (db) => pageFollows(db, { side: "following", actor: OWNER }, ownerFollowersPage),
      table: "follows",
      index: "follows_follower_idx",
    },
    {
      name: "one follow edge",
      run: (db) => findFollow(db, { actor: OWNER, follower: "https://remote.test/users/a" }),
      table: "follows",
      index: "follows_edge_unique",
    },
    {
      name: "an activity received before",
      run: (db) => findReceived(db, "https://remote.test/activities/1"),
      table: "inbox",
      index: "inbox_id_unique",
    },
    {
      name: "received activities whose follow-ups were not sent",
      run: (db) => unsentFollowUps(db, { before: new Date(), limit: 100 }),
      table: "inbox",
      index: "inbox_follow_ups_idx",
    },
    {
      name: "published activities whose fan-out was not queued",
      run: (db) => unsentFanouts(db, { before: new Date(), limit: 100 }),
      table: "outbox",
      index: "outbox_unsent_idx",
    },
    {
      name: "deliveries whose retry is overdue",
      run: (db) => overdueRetries(db, { before: new Date(), limit: 100 }),
      table: "delivery_failures",
      index: "delivery_failures_due_idx",
    },
    {
      name: "the actor holding a key",
      run: (db) => keyHolderQuery(db, "https://remote.test/users/a#main-key"),
      table: "actors",
      index: "actors_public_key_idx",
    },
    {
      name: "actor by id",
      run: (db) => findActor(db, "https://remote.test/users/a"),
      table: "actors",
      index: "actors_id_unique",
    },
    {
      name: "actor by handle",
      run: (db) => findActorByHandle(db, { username: "a", host: "remote.test" }),
      table: "actors",
      index: "actors_handle_idx",
    },
    {
      name: "followers' inboxes for a fan-out, when they fit a page",
      run: (db) =>
        recipientInboxes(db, { followersOf: OWNER, actors: [], limit: 500, plan: "sort" }),
      table: "follows",
      index: "follows_actor_idx",
    },
    {
      name: "the latest notification group of a kind",
      run: (db) => latestGroupQuery(db, "favourite", `${OWNER}/statuses/1`),
      table: "notifications",
      index: "notifications_type_target_idx",
    },
    {
      name: "an account's notifications",
      run: async (db) => await forgetAccountNotifications(db, "https://remote.test/users/a"),
      table: "notifications",
      index: "notifications_once_unique",
    },
    {
      name: "a notification dismissed by its Mastodon id",
      run: async (db) => await dismissNotificationQuery(db, (1n << 60n) | 2n),
      table: "notifications",
      index: "notifications_api_id_idx",
    },
    {
      name: "a group of notifications dismissed",
      run: async (db) => await dismissGroupStatement(db, "favourite-1-1"),
      table: "notifications",
      index: "notifications_group_idx",
    },
    {
      name: "a page of direct conversations",
      run: (db) => conversationsPage(db, OWNER, { limit: 20, maxId: 1n << 62n }),
      table: "conversations",
      index: "conversations_last_status_idx",
    },
    {
      name: "recounting a note's likes and boosts",
      run: async (db) => await recountReactions(db, `${OWNER}/statuses/1`),
      table: "reactions",
      index: "reactions_once_unique",
    },
    {
      name: "recounting what a deleted actor reacted to",
      run: async (db) =>
        await recountBeforeRemoving(db, eq(reactions.actor, "https://remote.test/users/a")),
      table: "reactions",
      index: "reactions_actor_idx",
    },
  ];
  for (const { name, run, table, index } of indexed) {
    it(`${name} uses its index`, async () => {
      const [plan] = await plansOf(run);
      expect(plan).toBeDefined();
      const detail = (plan ?? []).join("\n");
      expect(detail).toMatch(new RegExp(`SEARCH ${table} USING (COVERING )?INDEX ${index}\\b`));
      // No full scan of any table, and no sort of the whole result when the index orders it.
      expect(detail).not.toMatch(/^SCAN \w+$/m);
    });
  }

  it("walks the followers' inboxes in the index's order from the last page's, without a sort step, when they are many", async () => {
    for (const actors of [[], ["https://remote.test/users/f1"]]) {
      const plans = await plansOf((db) =>
        recipientInboxes(db, {
          followersOf: OWNER,
          actors,
          after: "https://m",
          limit: 500,
          plan: "walk",
        }),
      );
      const detail = plans.flat().join("\n");
      expect(detail).toMatch(/SEARCH actors USING INDEX actors_delivery_inbox_idx \(<expr>>\?\)/);
      expect(detail).toMatch(
        /SEARCH follows (EXISTS )?USING (COVERING )?INDEX follows_edge_unique/,
      );
      expect(detail).not.toMatch(/^SCAN (follows|actors)\b/m);
      if (actors.length === 0) expect(detail).not.toMatch(/TEMP B-TREE/);
    }
  });

  it("orders an author's notes by their index, without a sort step", async () => {
    const [plan] = await plansOf((db) => recentPublicNotes(db, OWNER, 20));
    expect((plan ?? []).join("\n")).not.toMatch(/TEMP B-TREE/);
  });

  it("looks up the owner's reactions to a page of statuses by note, not through all of the owner's", async () => {
    const rows = await recentPublicNotes(createDb(env.DB), OWNER, 3);
    expect(rows).toHaveLength(3);
    const plans = await plansOf((db) => loadStatusData(db, { rows, owner: OWNER }));
    const detail = plans.flat().join("\n");
    expect(detail).toMatch(/SEARCH reactions USING (COVERING )?INDEX reactions_once_unique/);
    expect(detail).not.toMatch(/reactions_actor_idx/);
  });

  it("reads the owner's counts as one kept row each", async () => {
    const plans = await plansOf((db) => countNotesQuery(db, OWNER));
    expect(plans.flat().join("\n")).toMatch(
      /SEARCH counts USING (INDEX|PRIMARY KEY|COVERING INDEX) sqlite_autoindex_counts_1|SEARCH counts USING PRIMARY KEY/,
    );
  });

  it("reads a post's deliveries by activity, not by scanning", async () => {
    const plans = await plansOf((db) => deliveriesOf(db, [`${OWNER}/statuses/1/activity`]));
    const detail = plans.flat().join("\n");
    expect(detail).toMatch(/SEARCH delivery_batches USING INDEX delivery_batches_activity_idx/);
    expect(detail).toMatch(
      /SEARCH delivery_failures USING INDEX sqlite_autoindex_delivery_failures_1/,
    );
  });

  it("finds the actors the cron may delete by index, not by scanning what refers to them", async () => {
    const plans = await plansOf((db) => expireStaleActors(db, { before: new Date(), limit: 100 }));
    const detail = plans.flat().join("\n");
    expect(detail).toMatch(/SEARCH actors USING INDEX actors_fetched_at_idx/);
    expect(detail).toMatch(/note_tags USING (COVERING )?INDEX note_tags_href_idx/);
    expect(detail).not.toMatch(/SCAN (follows|notes|reactions|notifications|note_tags)\b/);
  });

  it("walks notifications from the cursor by id, through its expression index, without a sort step, each with its account by key", async () => {
    const cursor = BigInt(Date.now()) << 16n;
    const now = new Date();
    for (const [run, from] of [
      [(db: Db) => listNotifications(db, { limit: 40, now }), "SCAN"],
      [
        (db: Db) =>
          listNotifications(db, { limit: 40, maxId: cursor, types: ["mention", "follow"], now }),
        "SEARCH",
      ],
      [(db: Db) => listNotifications(db, { limit: 40, minId: 2n, now }), "SEARCH"],
      [
        (db: Db) => pageGroups(db, { limit: 40, maxId: cursor, types: ["favourite"], now }),
        "SEARCH",
      ],
    ] as const) {
      const [plan] = await plansOf(run);
      const detail = (plan ?? []).join("\n");
      expect(detail).toMatch(
        new RegExp(`^${from} notifications USING INDEX notifications_api_id_idx`, "m"),
      );
      expect(detail).toMatch(/^SEARCH actors USING INDEX actors_id_unique \(id=\?\)$/m);
      // What a notification is about is not looked up: it goes with its note.
      expect(detail).not.toMatch(/\bnotes\b/);
      expect(detail).not.toMatch(/TEMP B-TREE/);
    }
  });

  it("reads the newest page of groups from the groups' heads, through their own index", async () => {
    for (const request of [
      { limit: 40, now: new Date() },
      { limit: 40, sinceId: 2n, types: ["favourite" as const], now: new Date() },
    ]) {
      const [plan] = await plansOf((db) => pageGroups(db, request));
      const detail = (plan ?? []).join("\n");
      expect(detail).toMatch(/^(SCAN|SEARCH) notifications USING INDEX notifications_heads_idx/m);
      expect(detail).toMatch(/^SEARCH actors USING INDEX actors_id_unique \(id=\?\)$/m);
      expect(detail).not.toMatch(/TEMP B-TREE/);
    }
  });

  it("reads what a group shows from its heads' accounts by key, or from the group's index", async () => {
    const lead = {
      id: String(1n << 40n),
      type: "favourite" as const,
      account: { id: "https://remote.test/users/a" } as GroupLead["account"],
      target: "",
      createdAt: new Date(),
      groupKey: "favourite-1-1",
      grouped: true,
      head: null,
      oldestMet: String(1n << 40n),
    };
    const range = { from: 1n, to: 1n << 62n };
    const newest = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({
      id: String((1n << 40n) - BigInt(i)),
      account: `https://remote.test/users/s${i}`,
    }));
    // A head: its other accounts by key; its oldest in range sought, its list being short.
    const heads = await plansOf((db) =>
      summarizeGroups(db, {
        leads: [{ ...lead, head: { size: 20, newest } }],
        range,
        walk: "heads",
        now: new Date(),
      }),
    );
    expect(heads.flat().join("\n")).toMatch(
      /SCAN \d+-ROW VALUES CLAUSE\nSEARCH actors USING INDEX actors_id_unique \(id=\?\)/,
    );
    // A walk up: the group's newest and its count, from its index alone.
    for (const [walk, plans] of [
      ["heads", heads],
      [
        "up",
        await plansOf((db) =>
          summarizeGroups(db, { leads: [lead], range, walk: "up", now: new Date() }),
        ),
      ],
    ] as const) {
      const detail = plans.flat().join("\n");
      expect(detail, walk).toMatch(
        /SEARCH notifications USING (COVERING )?INDEX notifications_group_idx \(group_key=\? AND <expr>[<>]\?/,
      );
      expect(detail, walk).not.toMatch(/^SCAN notifications\b|TEMP B-TREE/m);
    }
  });

  it("reads a page of statuses in one query, each part of a status by key", async () => {
    const rows = await recentPublicNotes(createDb(env.DB), OWNER, 3);
    for (const run of [
      (db: Db) => loadStatusData(db, { rows, owner: OWNER }),
      (db: Db) => loadStatuses(db, { owner: OWNER, ids: rows.map((r) => r.id) }),
    ]) {
      const plans = await plansOf(run);
      expect(plans).toHaveLength(1);
      const detail = plans.flat().join("\n");
      // The notes asked for are joined to the list of them, not looked up in an IN list.
      expect(detail).toMatch(/^SCAN 3-ROW VALUES CLAUSE$/m);
      expect(detail).toMatch(/^SEARCH notes USING (INTEGER PRIMARY KEY|INDEX notes_id_unique)/m);
      for (const table of ["author", "parent_author", "mentioned"]) {
        expect(detail).toMatch(
          new RegExp(`SEARCH ${table} USING INDEX actors_id_unique \\(id=\\?\\)`),
        );
      }
      expect(detail).toMatch(/SEARCH parent USING INDEX notes_id_unique \(id=\?\)/);
      expect(detail).toMatch(
        /SEARCH note_tags USING INDEX sqlite_autoindex_note_tags_1 \(note_seq=\?\)/,
      );
      expect(detail).toMatch(
        /SEARCH counts USING INDEX sqlite_autoindex_counts_1 \(subject=\? AND what=\?\)/,
      );
      expect(detail).not.toMatch(/^SCAN (?!\d+-ROW VALUES CLAUSE$)/m);
      expect(detail).not.toMatch(/TEMP B-TREE/);
    }
  });
});
