/**
 * The hot queries use their index, not a table scan. Each query is the one the code runs:
 * it is captured through drizzle's logger and explained with EXPLAIN QUERY PLAN on real D1.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  expireStaleActors,
  findActor,
  findActorByHandle,
  keyHolderQuery,
} from "../src/storage/actors";
import { createDb, type Db } from "../src/storage/db";
import { deliveriesOf, overdueRetries } from "../src/storage/deliveries";
import { findFollow, pageFollows } from "../src/storage/follows";
import { findReceived, unsentFollowUps } from "../src/storage/inbox";
import { findNote, recentPublicNotes } from "../src/storage/notes";
import { listNotifications, pageGroups, summarizeGroups } from "../src/storage/notification-pages";
import { forgetAccountNotifications, latestGroupQuery } from "../src/storage/notifications";
import { unsentFanouts } from "../src/storage/outbox";
import { recountBeforeRemoving, recountReactions } from "../src/storage/reactions";
import { recipientInboxes } from "../src/storage/recipients";
import { notifications, reactions } from "../src/storage/schema";
import { loadStatusData } from "../src/storage/statuses";
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

  it.each<[string, (db: Db) => Promise<unknown>, string, string]>([
    [
      "an author's notes, newest first",
      (db) => recentPublicNotes(db, OWNER, 20),
      "notes",
      "notes_author_published_idx",
    ],
    ["object by id", (db) => findNote(db, `${OWNER}/statuses/1`), "notes", "notes_id_unique"],
    [
      "followers of the owner",
      (db) => pageFollows(db, { side: "followers", actor: OWNER }, ownerFollowersPage),
      "follows",
      "follows_actor_idx",
    ],
    [
      "whom the owner follows",
      (db) => pageFollows(db, { side: "following", actor: OWNER }, ownerFollowersPage),
      "follows",
      "follows_follower_idx",
    ],
    [
      "one follow edge",
      (db) => findFollow(db, { actor: OWNER, follower: "https://remote.test/users/a" }),
      "follows",
      "follows_edge_unique",
    ],
    [
      "an activity received before",
      (db) => findReceived(db, "https://remote.test/activities/1"),
      "inbox",
      "inbox_id_unique",
    ],
    [
      "received activities whose follow-ups were not sent",
      (db) => unsentFollowUps(db, { before: new Date(), limit: 100 }),
      "inbox",
      "inbox_follow_ups_idx",
    ],
    [
      "published activities whose fan-out was not queued",
      (db) => unsentFanouts(db, { before: new Date(), limit: 100 }),
      "outbox",
      "outbox_unsent_idx",
    ],
    [
      "deliveries whose retry is overdue",
      (db) => overdueRetries(db, { before: new Date(), limit: 100 }),
      "delivery_failures",
      "delivery_failures_due_idx",
    ],
    [
      "the actor holding a key",
      (db) => keyHolderQuery(db, "https://remote.test/users/a#main-key"),
      "actors",
      "actors_public_key_idx",
    ],
    [
      "actor by id",
      (db) => findActor(db, "https://remote.test/users/a"),
      "actors",
      "actors_id_unique",
    ],
    [
      "actor by handle",
      (db) => findActorByHandle(db, { username: "a", host: "remote.test" }),
      "actors",
      "actors_handle_idx",
    ],
    [
      "followers' inboxes for a fan-out",
      (db) => recipientInboxes(db, { followersOf: OWNER, actors: [], limit: 500 }),
      "follows",
      "follows_actor_idx",
    ],
    [
      "the latest notification group of a kind",
      (db) => latestGroupQuery(db, "favourite", `${OWNER}/statuses/1`),
      "notifications",
      "notifications_type_target_idx",
    ],
    [
      "an account's notifications",
      async (db) => await forgetAccountNotifications(db, "https://remote.test/users/a"),
      "notifications",
      "notifications_once_unique",
    ],
    [
      "recounting a note's likes and boosts",
      async (db) => await recountReactions(db, `${OWNER}/statuses/1`),
      "reactions",
      "reactions_once_unique",
    ],
    [
      "recounting what a deleted actor reacted to",
      async (db) =>
        await recountBeforeRemoving(db, eq(reactions.actor, "https://remote.test/users/a")),
      "reactions",
      "reactions_actor_idx",
    ],
  ])("%s uses its index", async (_name, run, table, index) => {
    const [plan] = await plansOf(run);
    expect(plan).toBeDefined();
    const detail = (plan ?? []).join("\n");
    expect(detail).toMatch(new RegExp(`SEARCH ${table} USING (COVERING )?INDEX ${index}\\b`));
    // No full scan of any table, and no sort of the whole result when the index orders it.
    expect(detail).not.toMatch(/^SCAN \w+$/m);
  });

  it("orders an author's notes by their index, without a sort step", async () => {
    const [plan] = await plansOf((db) => recentPublicNotes(db, OWNER, 20));
    expect((plan ?? []).join("\n")).not.toMatch(/TEMP B-TREE/);
  });

  it("counts the replies of a page of statuses through the in-reply-to index", async () => {
    const note = await findNote(createDb(env.DB), `${OWNER}/statuses/query-plan-reply`);
    const plans = await plansOf((db) =>
      loadStatusData(db, { rows: note ? [note] : [], owner: OWNER }),
    );
    const detail = plans.flat().join("\n");
    expect(detail).toMatch(/SEARCH notes USING (COVERING )?INDEX notes_in_reply_to_idx/);
    expect(detail).not.toMatch(/^SCAN (notes|reactions|note_tags|note_recipients)$/m);
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

  it("walks notifications down from the cursor by seq, without a sort step", async () => {
    for (const run of [
      (db: Db) => listNotifications(db, { limit: 40 }),
      (db: Db) => listNotifications(db, { limit: 40, maxId: 9, types: ["mention", "follow"] }),
      (db: Db) => listNotifications(db, { limit: 40, minId: 2 }),
      (db: Db) => pageGroups(db, { limit: 40, maxId: 9, types: ["favourite"] }),
    ]) {
      const [plan] = await plansOf(run);
      const detail = (plan ?? []).join("\n");
      expect(detail).toMatch(/^(SCAN|SEARCH) notifications( USING INTEGER PRIMARY KEY|$)/m);
      expect(detail).toMatch(/SEARCH notes USING INDEX notes_id_unique/);
      expect(detail).toMatch(/SEARCH actors EXISTS USING COVERING INDEX actors_id_unique/);
      expect(detail).not.toMatch(/TEMP B-TREE/);
    }
  });

  it("sums up a page's notification groups through the group key index", async () => {
    const [plan] = await plansOf((db) =>
      summarizeGroups(db, ["follow-1", "favourite-1-1"], { from: 1, to: 100 }),
    );
    const detail = (plan ?? []).join("\n");
    expect(detail).toMatch(/SEARCH notifications USING INDEX notifications_group_idx/);
    expect(detail).not.toMatch(/^SCAN notifications$/m);
  });
});
