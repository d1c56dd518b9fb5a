/**
 * One `Follow` per account, whatever the owner and the queue do at once: one import runs at a
 * time (409 for the next, even posted in the same instant); a stopped import stops; a
 * `Follow` is stored (and sent) only by the follow that made its edge. And what a row comes
 * to when its account's server is down, or when the row itself throws.
 */

import { env } from "cloudflare:workers";
import { and, eq, inArray } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { createPlatform } from "../src/context";
import { commitFollows, followStatements } from "../src/federation/publish/follows";
import type { ImportFollowsMessage } from "../src/federation/queue/messages";
import { accountImportBatches, accountImports, follows, outbox } from "../src/storage/schema";
import { api, db, OWNER, testConfig } from "./helpers";
import { drain, type ImportView, postImport } from "./support/account-io";
import { consume, recordingQueue } from "./support/delivery";
import { got } from "./support/publish";
import { RemoteActor, received, serve } from "./support/remote";

const view = async (id: string) =>
  (await (await api(`/outpost/imports/${id}`)).json()) as ImportView;

const post = (csv: string) => postImport({ body: csv, contentType: "text/csv" });

/** Posts a list; the import's first message, unsent. */
async function started(csv: string): Promise<{ view: ImportView; message: ImportFollowsMessage }> {
  const { res, enqueued } = await post(csv);
  expect(res.status, await res.clone().text()).toBe(202);
  return {
    view: (await res.json()) as ImportView,
    message: enqueued[0]?.body as ImportFollowsMessage,
  };
}

/** How many imports, and batches, are stored. */
const stored = async () => ({
  imports: (await db().select().from(accountImports)).length,
  batches: (await db().select().from(accountImportBatches)).length,
});

// One import runs at a time: each test starts with none running.
beforeEach(async () => {
  await db()
    .update(accountImports)
    .set({ state: "stopped", error: "left by an earlier test" })
    .where(eq(accountImports.state, "running"));
});

describe("one import at a time", () => {
  it("answers 409 while another import runs, storing and queueing nothing", async () => {
    const first = await started("a@once-409.test\nb@once-409.test\n");
    const before = await stored();
    const { res, enqueued } = await post("c@once-409.test\n");
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      error: "another import is running; wait until it has finished",
    });
    expect(enqueued).toEqual([]);
    expect(await stored()).toEqual(before);
    // Once it has stopped, another may start.
    await consume("outpost-delivery-dlq", first.message);
    expect((await view(first.view.id)).state).toBe("stopped");
    await started("c@once-409.test\n");
  });

  it("starts one of two imports posted at once (a double submit)", async () => {
    const csv = "d@once-double.test\ne@once-double.test\n";
    const before = await stored();
    const answers = await Promise.all([post(csv), post(csv)]);
    expect(answers.map((a) => a.res.status).sort()).toEqual([202, 409]);
    expect(answers.flatMap((a) => a.enqueued)).toHaveLength(1);
    expect(await stored()).toEqual({
      imports: before.imports + 1,
      batches: before.batches + 1,
    });
  });
});

describe("a stopped import", { timeout: 30_000 }, () => {
  it("stops: its messages still queued claim nothing and queue nothing", async () => {
    const csv = Array.from({ length: 12 }, (_, i) => `u${i}@once-stopped.test`).join("\n");
    const { view: answer, message } = await started(csv);
    expect((await consume("outpost-delivery-dlq", message)).explicitAcks).toHaveLength(1);
    // A duplicate of the message (a redelivery, a second chain) comes after.
    const late = await consume("outpost-delivery", message);
    expect(late.enqueued).toEqual([]);
    expect(await received("once-stopped.test")).toEqual([]);
    const batches = await db()
      .select({ state: accountImportBatches.state })
      .from(accountImportBatches)
      .where(eq(accountImportBatches.importSeq, Number(answer.id)));
    expect(batches.map((b) => b.state)).toEqual(["pending", "pending"]);
    expect(await view(answer.id)).toMatchObject({ state: "stopped", processed: 0 });
  });
});

describe("one Follow per account", { timeout: 30_000 }, () => {
  it("stores and sends the Follow of whichever follow made the edge, and not the other's", async () => {
    const target = await RemoteActor.create({ host: "once-race.test", username: "raced" });
    await target.serveWebFinger();
    expect((await api("/v1/accounts/lookup?acct=raced@once-race.test")).status).toBe(200);
    // Two consumers decided at once that the account was not followed; both commit.
    const { queue, enqueued } = recordingQueue();
    const ctx = { ...createPlatform({ ...env, DELIVERY_QUEUE: queue }), config: testConfig() };
    const now = new Date();
    const first = followStatements(ctx, { id: target.id }, now);
    const second = followStatements(ctx, { id: target.id }, new Date(now.getTime() + 1));
    await commitFollows(ctx, [first]);
    await commitFollows(ctx, [second]);
    const edges = await db()
      .select()
      .from(follows)
      .where(and(eq(follows.actor, target.id), eq(follows.follower, OWNER)));
    expect(edges.map((e) => e.activityId)).toEqual([first.activityId]);
    const activities = await db()
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(eq(outbox.type, "Follow"), eq(outbox.objectId, target.id)));
    expect(activities.map((r) => r.id)).toEqual([first.activityId]);
    expect(enqueued.map((m) => m.body)).toEqual([
      { v: 1, type: "fanout", activityId: first.activityId },
    ]);
    await drain(enqueued);
    expect(await got(target.inbox, "Follow", target.id)).toHaveLength(1);
  });
});

describe("what a row comes to", { timeout: 30_000 }, () => {
  it("tells an account whose server did not answer from one that does not exist", async () => {
    const acct = (user: string) => `acct:${user}@once-down.test`;
    const webfinger = (user: string) =>
      `https://once-down.test/.well-known/webfinger?resource=${encodeURIComponent(acct(user))}`;
    await serve(
      { url: webfinger("down"), status: 503, body: "down for maintenance" },
      { url: webfinger("gone"), status: 404, body: { error: "not found" } },
    );
    const { view: answer, message } = await started("down@once-down.test\ngone@once-down.test");
    await drain([{ body: message }]);
    expect(await view(answer.id)).toMatchObject({
      state: "finished",
      failed: 2,
      failures: [
        {
          line: 1,
          account: "down@once-down.test",
          reason: "account could not be fetched (its server did not answer); import it again later",
        },
        { line: 2, account: "gone@once-down.test", reason: "account not found" },
      ],
    });
  });

  it("records a row that throws as failed, and goes on with the others", async () => {
    const peer = await RemoteActor.create({ host: "once-throw.test", username: "fine" });
    await peer.serveWebFinger();
    const { view: answer, message } = await started("fine@once-throw.test\nbad@once-throw.test");
    // A row no import would store: reading it throws.
    await db()
      .update(accountImportBatches)
      .set({
        rows: [
          { line: 1, handle: "fine@once-throw.test" },
          { line: 2, handle: 42 as unknown as string },
        ],
      })
      .where(eq(accountImportBatches.importSeq, Number(answer.id)));
    const result = await consume("outpost-delivery", message);
    expect(result.retryMessages).toEqual([]);
    await drain(result.enqueued);
    expect(await got(peer.inbox, "Follow", peer.id)).toHaveLength(1);
    expect(await view(answer.id)).toMatchObject({
      state: "finished",
      followed: 1,
      failed: 1,
      failures: [{ line: 2, reason: "an error occurred; import it again later" }],
    });
    const edges = await db()
      .select()
      .from(follows)
      .where(inArray(follows.actor, [peer.id]));
    expect(edges).toHaveLength(1);
  });
});
