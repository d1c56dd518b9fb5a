/**
 * The export/import round trip (issue 18): the owner's follows, exported as Mastodon's
 * following_accounts.csv, imported into an instance that knows nothing of those accounts,
 * followed again through the queue at a polite pace (each resolved by WebFinger on the fake
 * fediverse, sent its `Follow`), each row done once however the queue redelivers.
 */
import { env } from "cloudflare:workers";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { actorEntryKey, forgetHeldEntries } from "../src/cache/actor-cache";
import { IMPORT_BATCH_SIZE, IMPORT_PACE_SECONDS } from "../src/federation/import-follows";
import { actors, follows } from "../src/storage/schema";
import { api, db, OWNER, seedFollow } from "./helpers";
import { drain, type ImportView, importForm, postImport } from "./support/account-io";
import { got } from "./support/publish";
import { RemoteActor } from "./support/remote";

const handleOf = (actor: RemoteActor) => `${actor.id.split("/").pop()}@${actor.host}`;

/** Follows the owner has, by actor. */
const ownerFollows = async (ids: readonly string[]) =>
  db()
    .select()
    .from(follows)
    .where(inArray(follows.actor, [...ids]));

/** Forgets an account as if this instance had never met it: its follows, its row, its cache. */
async function forget(actor: RemoteActor): Promise<void> {
  await db().delete(follows).where(eq(follows.actor, actor.id));
  await db().delete(actors).where(eq(actors.id, actor.id));
  await env.ACTOR_CACHE.delete(await actorEntryKey(actor.id));
  forgetHeldEntries();
}

const view = async (id: string) =>
  (await (await api(`/outpost/imports/${id}`)).json()) as ImportView;

describe("the round trip", { timeout: 60_000 }, () => {
  it("exports the follows, imports them into a fresh instance, and the same accounts are followed", async () => {
    // A dozen accounts: two batches, so that the second waits its turn.
    const peers = await RemoteActor.crowd("trip", IMPORT_BATCH_SIZE + 2);
    for (const peer of peers) {
      await peer.serveWebFinger();
      const found = await api(`/v1/accounts/lookup?acct=${handleOf(peer)}`);
      expect(found.status).toBe(200);
      await seedFollow(peer.id, OWNER);
    }

    const exported = await api("/outpost/exports/following_accounts.csv");
    expect(exported.status).toBe(200);
    const csv = await exported.text();
    // Mastodon's format: its header, then `user@domain` and the follow's settings.
    const [header, ...rows] = csv.trimEnd().split("\n");
    expect(header).toBe("Account address,Show boosts,Notify on new posts,Languages");
    expect(rows).toHaveLength(peers.length);
    for (const row of rows) expect(row).toMatch(/^trip\d+@trip\d+\.test,true,false,$/);
    expect(rows.map((r) => r.split(",")[0]).sort()).toEqual(peers.map(handleOf).sort());

    // A fresh instance: nothing left of those accounts.
    for (const peer of peers) await forget(peer);
    expect(await ownerFollows(peers.map((p) => p.id))).toEqual([]);

    const { res, enqueued } = await postImport({ body: importForm(csv) });
    expect(res.status).toBe(202);
    const started = (await res.json()) as ImportView;
    expect(started).toMatchObject({
      state: "running",
      total: peers.length,
      processed: 0,
      duplicates: 0,
    });
    expect(enqueued).toHaveLength(1);
    const delays = await drain(enqueued);
    // The first batch at once, the second a few seconds after it.
    expect(delays).toEqual([0, IMPORT_PACE_SECONDS]);

    const followed = await ownerFollows(peers.map((p) => p.id));
    expect(followed.map((f) => f.actor).sort()).toEqual(peers.map((p) => p.id).sort());
    for (const edge of followed) {
      expect(edge).toMatchObject({ follower: OWNER, state: "pending" });
    }
    for (const peer of peers) {
      // Delivered to its inbox, signed by the owner.
      const sent = await got(peer.inbox, "Follow", peer.id);
      expect(sent, peer.id).toHaveLength(1);
      expect(sent[0]).toMatchObject({ actor: OWNER, object: peer.id });
    }
    expect(await view(started.id)).toMatchObject({
      state: "finished",
      total: peers.length,
      processed: peers.length,
      followed: peers.length,
      skipped: 0,
      failed: 0,
      failures: [],
    });
  });
});
