/**
 * Importing a following list: who may, what is refused before anything is stored (413, 415,
 * 422 naming the line), and what each row comes to (followed, skipped, failed with why),
 * once per row whatever the queue does: a message delivered twice at once, a batch left by a
 * consumer that died, a message that gave up.
 */
import { and, eq, inArray } from "drizzle-orm";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  CLAIM_LEASE_MS,
  IMPORT_BATCH_SIZE,
  MAX_BATCH_CLAIMS,
} from "../src/federation/import-follows";
import type { ImportFollowsMessage } from "../src/federation/queue/messages";
import { claimBatch } from "../src/storage/imports";
import { accountImportBatches, accountImports, domainBlocks, follows } from "../src/storage/schema";
import { api, db, OWNER, plansOf, seedFollow } from "./helpers";
import { drain, type ImportView, importForm, postImport } from "./support/account-io";
import { consume } from "./support/delivery";
import { registerApp, signIn } from "./support/oauth";
import { got } from "./support/publish";
import { RemoteActor, received } from "./support/remote";

const view = async (id: string) =>
  (await (await api(`/outpost/imports/${id}`)).json()) as ImportView;

const followsOf = (ids: readonly string[]) =>
  db()
    .select()
    .from(follows)
    .where(and(inArray(follows.actor, [...ids]), eq(follows.follower, OWNER)));

/** A peer the fake fediverse serves, WebFinger included; `user@host` to import. */
async function peer(host: string, username: string): Promise<[RemoteActor, string]> {
  const actor = await RemoteActor.create({ host, username });
  await actor.serveWebFinger();
  return [actor, `${username}@${host}`];
}

/** Posts a list as a CSV body; the import's first message, unsent. */
async function started(csv: string): Promise<{ view: ImportView; message: ImportFollowsMessage }> {
  const { res, enqueued } = await postImport({ body: csv, contentType: "text/csv" });
  expect(res.status, await res.clone().text()).toBe(202);
  const [first] = enqueued;
  return { view: (await res.json()) as ImportView, message: first?.body as ImportFollowsMessage };
}

let tokens: { read: string; write: string };

beforeAll(async () => {
  const app = await registerApp({ client_name: "Importer" });
  tokens = {
    read: await signIn(app, { scope: "read:follows", address: "10.31.0.1" }),
    write: await signIn(app, { scope: "write:follows", address: "10.31.0.2" }),
  };
});

// One import runs at a time (409 for the next): each test starts with none running.
beforeEach(async () => {
  await db()
    .update(accountImports)
    .set({ state: "stopped", error: "left by an earlier test" })
    .where(eq(accountImports.state, "running"));
});

describe("who may import", () => {
  it("needs write:follows to import and read:follows to look", async () => {
    const csv = "nobody@imp-scope.test\n";
    const body = () => ({ body: csv, contentType: "text/csv" });
    expect((await postImport({ ...body(), token: null })).res.status).toBe(401);
    expect((await postImport({ ...body(), token: tokens.read })).res.status).toBe(403);
    const { res } = await postImport({ ...body(), token: tokens.write });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as ImportView;
    expect((await api(`/outpost/imports/${id}`, { token: tokens.write })).status).toBe(403);
    expect((await api(`/outpost/imports/${id}`, { token: tokens.read })).status).toBe(200);
    expect((await api("/outpost/imports/999999")).status).toBe(404);
    expect((await api("/outpost/imports/abc")).status).toBe(404);
  });
});

describe("what is refused before anything is stored", () => {
  it("answers 422 naming the first bad line", async () => {
    const csv = "Account address,Show boosts\nfine@imp-bad.test,true\n\nnot-an-account,true\n";
    const { res, enqueued } = await postImport({ body: importForm(csv) });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      error: 'line 4: "not-an-account" is not an account address (user@domain)',
      line: 4,
    });
    expect(enqueued).toEqual([]);
    const broken = await postImport({
      body: 'a@imp-bad.test\n"b@imp-bad.test\n',
      contentType: "text/csv",
    });
    expect(broken.res.status).toBe(422);
    expect(await broken.res.json()).toEqual({ error: "line 2: malformed CSV", line: 2 });
    const empty = await postImport({ body: "\n", contentType: "text/csv" });
    expect(await empty.res.json()).toEqual({ error: "the file names no account" });
  });

  it("answers 413 past 1 MB, as a body or as a form's file, and 415 for other bodies", async () => {
    const big = `${"a@imp-big.test\n".repeat(70_000)}`;
    expect(big.length).toBeGreaterThan(1024 * 1024);
    expect((await postImport({ body: big, contentType: "text/csv" })).res.status).toBe(413);
    expect((await postImport({ body: importForm(big) })).res.status).toBe(413);
    const json = await postImport({ body: "{}", contentType: "application/json" });
    expect(json.res.status).toBe(415);
  });

  it("takes Mastodon's 20,000 rows, as its import page names the form's fields", async () => {
    const csv = Array.from({ length: 20_000 }, (_, i) => `u${i}@imp-many${i % 7}.test`).join("\n");
    const form = new FormData();
    form.set("form_import[type]", "following");
    form.set("form_import[mode]", "merge");
    form.set("form_import[data]", new File([csv], "follows.csv", { type: "text/csv" }));
    const { res, enqueued } = await postImport({ body: form });
    expect(res.status).toBe(202);
    const answer = (await res.json()) as ImportView;
    expect(answer).toMatchObject({ state: "running", total: 20_000, processed: 0 });
    const batches = await db()
      .select({ seq: accountImportBatches.seq })
      .from(accountImportBatches)
      .where(eq(accountImportBatches.importSeq, Number(answer.id)));
    expect(batches).toHaveLength(20_000 / IMPORT_BATCH_SIZE);
    expect(enqueued.map((m) => m.body)).toEqual([
      { v: 1, type: "importFollows", importId: Number(answer.id) },
    ]);
  });

  it("takes follows alone, merged", async () => {
    const blocking = await postImport({
      body: importForm("a@imp-type.test", { type: "blocking" }),
    });
    expect(blocking.res.status).toBe(422);
    const overwrite = await postImport({
      body: "a@imp-type.test",
      contentType: "text/csv",
      query: "?type=following&mode=overwrite",
    });
    expect(overwrite.res.status).toBe(422);
    expect((await overwrite.res.json()) as { error: string }).toEqual({
      error: "mode must be merge: Outpost adds to the accounts followed",
    });
  });
});

describe("what each row comes to", { timeout: 30_000 }, () => {
  it("follows an account named twice once, and records why the others were not followed", async () => {
    const [twice, twiceHandle] = await peer("imp-dup.test", "twice");
    const [known, knownHandle] = await peer("imp-known.test", "known");
    expect((await api(`/v1/accounts/lookup?acct=${knownHandle}`)).status).toBe(200);
    await seedFollow(known.id, OWNER);
    await db().insert(domainBlocks).values({ domain: "imp-blocked.test", createdAt: new Date() });
    const csv = [
      twiceHandle,
      "nobody@imp-missing.test",
      `@${twiceHandle.toUpperCase()}`,
      "owner@outpost.test",
      knownHandle,
      "someone@imp-blocked.test",
    ].join("\n");
    const { view: answer, message } = await started(csv);
    expect(answer).toMatchObject({ total: 5, duplicates: 1 });
    await drain([{ body: message }]);
    expect(await followsOf([twice.id])).toHaveLength(1);
    expect(await got(twice.inbox, "Follow", twice.id)).toHaveLength(1);
    const done = await view(answer.id);
    expect(done).toMatchObject({
      state: "finished",
      processed: 5,
      followed: 1,
      skipped: 2,
      failed: 2,
      failures: [
        { line: 2, account: "nobody@imp-missing.test", reason: "account not found" },
        { line: 6, account: "someone@imp-blocked.test", reason: "the domain is blocked" },
      ],
    });
    // Nothing was asked of the blocked domain.
    expect(await received("imp-blocked.test")).toEqual([]);
  });
});

describe("once per row, whatever the queue does", { timeout: 30_000 }, () => {
  it("a message delivered twice at once, and again later, follows each account once", async () => {
    const peers = await Promise.all([peer("imp-twice.test", "p1"), peer("imp-twice.test", "p2")]);
    const { view: answer, message } = await started(peers.map(([, h]) => h).join("\n"));
    const [a, b] = await Promise.all([
      consume("outpost-delivery", message),
      consume("outpost-delivery", message),
    ]);
    await drain([...a.enqueued, ...b.enqueued]);
    await drain((await consume("outpost-delivery", message)).enqueued);
    for (const [actor] of peers) {
      expect(await followsOf([actor.id])).toHaveLength(1);
      expect(await got(actor.inbox, "Follow", actor.id)).toHaveLength(1);
    }
    expect(await view(answer.id)).toMatchObject({ state: "finished", processed: 2, followed: 2 });
  });

  it("a batch claimed by a consumer that died is taken over once its claim runs out", async () => {
    const [actor, handle] = await peer("imp-stale.test", "late");
    const { view: answer, message } = await started(handle);
    const batch = eq(accountImportBatches.importSeq, Number(answer.id));
    // Claimed just now by another consumer: left to it, looked at again once the claim ends.
    await db()
      .update(accountImportBatches)
      .set({ state: "working", claim: "elsewhere", claimedAt: new Date() })
      .where(batch);
    const waiting = await consume("outpost-delivery", message);
    expect(await followsOf([actor.id])).toEqual([]);
    const [check] = waiting.enqueued;
    expect(check?.body).toEqual(message);
    expect(check?.delaySeconds).toBeGreaterThan(CLAIM_LEASE_MS / 1000 - 60);
    // Claimed long ago: that consumer is gone, and the batch is done here.
    await db()
      .update(accountImportBatches)
      .set({ claimedAt: new Date(Date.now() - CLAIM_LEASE_MS - 1000) })
      .where(batch);
    await drain([{ body: message }]);
    expect(await followsOf([actor.id])).toHaveLength(1);
    expect(await view(answer.id)).toMatchObject({ state: "finished", followed: 1 });
  });

  it("a batch that keeps killing its consumer is given up, its rows failed", async () => {
    const { view: answer, message } = await started("poison@imp-poison.test");
    await db()
      .update(accountImportBatches)
      .set({ attempts: MAX_BATCH_CLAIMS })
      .where(eq(accountImportBatches.importSeq, Number(answer.id)));
    await drain([{ body: message }]);
    expect(await received("imp-poison.test")).toEqual([]);
    expect(await view(answer.id)).toMatchObject({
      state: "finished",
      failed: 1,
      failures: [
        { line: 1, account: "poison@imp-poison.test", reason: "not processed after 3 tries" },
      ],
    });
  });

  it("claims a batch through the batches' index", async () => {
    const plans = await plansOf((d) =>
      claimBatch(d, { importSeq: 424242, token: "t", now: new Date(), staleBefore: new Date() }),
    );
    const steps = plans.flat().join("\n");
    expect(steps).toContain("USING INDEX account_import_batches_state_idx");
    expect(steps).not.toMatch(/SCAN account_import_batches/);
  });

  it("an import whose message gave up says it stopped", async () => {
    const { view: answer, message } = await started("gone@imp-dlq.test");
    const result = await consume("outpost-delivery-dlq", message);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await view(answer.id)).toMatchObject({
      state: "stopped",
      processed: 0,
      error: "the queue gave up after 1 attempt",
    });
  });
});
