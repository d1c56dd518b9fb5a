/**
 * Blocks, mutes and domain blocks through the client API: the Relationship each answers,
 * the lists and their paging, the refusals, and what a block tells the blocked account
 * (`Undo` of our follow, `Reject` of theirs, `Block`, later `Undo` of it) and a domain
 * block its accounts (`Undo`, `Reject`), delivered and signed to their inboxes on the fake
 * fediverse, once however often the owner asks at once.
 */
import { eq, or } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { accountId } from "../src/mastodon/ids";
import { findActor } from "../src/storage/actors";
import { expireMutes } from "../src/storage/safety";
import { blocks, domainBlocks, follows, mutes, notifications, outbox } from "../src/storage/schema";
import { api, db, linksOf, seedFollow } from "./helpers";
import { registerApp, signIn } from "./support/oauth";
import { got } from "./support/publish";
import { eventually, OWNER, RemoteActor } from "./support/remote";

/** The Mastodon id of a stored remote actor. */
async function idOf(actor: RemoteActor): Promise<string> {
  const row = await findActor(db(), actor.id);
  if (row === undefined) throw new Error(`${actor.id} is not stored`);
  return accountId(row);
}

/** A remote actor that follows the owner (and so is stored), and whom the owner follows. */
async function mutual(host: string, username: string): Promise<RemoteActor> {
  const actor = await RemoteActor.create({ host, username });
  expect((await actor.send(actor.activity("Follow", OWNER))).status).toBe(202);
  await seedFollow(actor.id, OWNER);
  return actor;
}

const edgesOf = (actor: string) =>
  db()
    .select()
    .from(follows)
    .where(or(eq(follows.actor, actor), eq(follows.follower, actor)));

const post = (path: string, body?: unknown) => api(path, { method: "POST", body });

/** One delivery of `type` to the actor's inbox, once the queue has made it. */
const delivered = (actor: RemoteActor, type: string, object: string) =>
  eventually(async () => {
    const found = await got(actor.inbox, type, object);
    return found.length > 0 ? found : undefined;
  });

describe("blocking an account", { timeout: 20_000 }, () => {
  it("ends the follows both ways, tells the account as Mastodon does, and answers the Relationship", async () => {
    const bad = await mutual("safety-a.test", "bad");
    const [theirs] = await db().select().from(follows).where(eq(follows.follower, bad.id));
    const [ours] = await db().select().from(follows).where(eq(follows.actor, bad.id));
    const id = await idOf(bad);
    const theirNotifications = () =>
      db().select().from(notifications).where(eq(notifications.account, bad.id));
    // Its follow notified the owner; the block forgets that, as Mastodon's does.
    expect(await theirNotifications()).toHaveLength(1);
    const res = await post(`/v1/accounts/${id}/block`);
    expect(res.status).toBe(200);
    expect(await theirNotifications()).toEqual([]);
    expect(await res.json()).toMatchObject({
      id,
      blocking: true,
      following: false,
      followed_by: false,
      requested: false,
      muting: false,
      domain_blocking: false,
    });
    expect(await edgesOf(bad.id)).toEqual([]);
    const [block] = await db().select().from(blocks).where(eq(blocks.actor, bad.id));
    expect(block).toBeDefined();

    const [undo] = await delivered(bad, "Undo", ours?.activityId ?? "?");
    expect(undo).toMatchObject({
      actor: OWNER,
      object: { type: "Follow", id: ours?.activityId, actor: OWNER, object: bad.id },
    });
    const [reject] = await delivered(bad, "Reject", theirs?.activityId ?? "?");
    expect(reject).toMatchObject({
      actor: OWNER,
      object: { type: "Follow", id: theirs?.activityId, actor: bad.id, object: OWNER },
    });
    const [sent] = await delivered(bad, "Block", bad.id);
    expect(sent).toMatchObject({
      id: block?.activityId,
      type: "Block",
      actor: OWNER,
      object: bad.id,
    });

    // Blocking again changes nothing and sends nothing new.
    expect(await (await post(`/v1/accounts/${id}/block`)).json()).toMatchObject({ blocking: true });
    const stored = await db().select().from(outbox).where(eq(outbox.type, "Block"));
    expect(stored.filter((a) => a.objectId === bad.id)).toHaveLength(1);
  });

  it("tells the account once when blocked twice at once", async () => {
    const twice = await mutual("safety-a.test", "twice");
    const id = await idOf(twice);
    const answers = await Promise.all([
      post(`/v1/accounts/${id}/block`),
      post(`/v1/accounts/${id}/block`),
    ]);
    expect(answers.map((res) => res.status)).toEqual([200, 200]);
    // Besides the Accept of its Follow, one of each.
    const sent = (await db().select().from(outbox)).filter((a) =>
      JSON.stringify(a.payload.to).includes(twice.id),
    );
    expect(sent.map((a) => a.type).sort()).toEqual(["Accept", "Block", "Reject", "Undo"]);
  });

  it("is lifted by unblock, which sends Undo of the Block", async () => {
    const rude = await RemoteActor.create({ host: "safety-a.test", username: "rude" });
    expect((await rude.send(rude.activity("Follow", OWNER))).status).toBe(202);
    const id = await idOf(rude);
    await post(`/v1/accounts/${id}/block`);
    const [block] = await db().select().from(blocks).where(eq(blocks.actor, rude.id));
    const res = await post(`/v1/accounts/${id}/unblock`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, blocking: false, followed_by: false });
    expect(await db().select().from(blocks).where(eq(blocks.actor, rude.id))).toEqual([]);
    const [undo] = await delivered(rude, "Undo", block?.activityId ?? "?");
    expect(undo).toMatchObject({
      actor: OWNER,
      object: { id: block?.activityId, type: "Block", actor: OWNER, object: rude.id },
    });
    // Unblocking again is a no-op, and answers the same.
    expect(await (await post(`/v1/accounts/${id}/unblock`)).json()).toMatchObject({
      blocking: false,
    });
  });

  it("lists blocked accounts newest first, paged by the blocks' ids", async () => {
    const listed = await RemoteActor.crowd("safety-list", 3);
    const ids: string[] = [];
    for (const actor of listed) {
      await actor.send(actor.activity("Follow", OWNER));
      ids.push(await idOf(actor));
      expect((await post(`/v1/accounts/${ids.at(-1)}/block`)).status).toBe(200);
    }
    const first = await api("/v1/blocks?limit=2");
    expect(first.status).toBe(200);
    const page = (await first.json()) as { id: string; acct: string }[];
    expect(page.map((a) => a.id)).toEqual([ids[2], ids[1]]);
    const { next, prev } = linksOf(first);
    expect(next).toMatch(/\/api\/v1\/blocks\?limit=2&max_id=\d+$/);
    expect(prev).toMatch(/min_id=\d+$/);
    // The cursors are the blocks' own ids, not the accounts'.
    expect(next).not.toContain(ids[1]);
    const second = (await (await api(next ?? "")).json()) as { id: string }[];
    expect(second.map((a) => a.id)[0]).toBe(ids[0]);
    expect((await api("/v1/blocks?max_id=x")).status).toBe(400);
  });
});

describe("muting an account", () => {
  it("mutes for a while, without notifications, lists the mute with its end, and unmutes", async () => {
    const loud = await RemoteActor.create({ host: "safety-m.test", username: "loud" });
    await loud.send(loud.activity("Follow", OWNER));
    const id = await idOf(loud);
    const before = Date.now();
    const res = await post(`/v1/accounts/${id}/mute`, { notifications: false, duration: 3600 });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id,
      muting: true,
      muting_notifications: false,
      blocking: false,
      followed_by: true,
    });
    const listed = (await (await api("/v1/mutes")).json()) as {
      id: string;
      mute_expires_at: string | null;
    }[];
    const entry = listed.find((a) => a.id === id);
    const ends = Date.parse(entry?.mute_expires_at ?? "");
    expect(ends).toBeGreaterThanOrEqual(before + 3600_000);
    expect(ends).toBeLessThan(Date.now() + 3600_000 + 1000);

    // Muted again (a form, as many apps send), for good and with notifications.
    const again = await api(`/v1/accounts/${id}/mute`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ muting: true, muting_notifications: true });
    const [row] = await db().select().from(mutes).where(eq(mutes.actor, loud.id));
    expect(row).toMatchObject({ notifications: true, expiresAt: null });

    const unmuted = await post(`/v1/accounts/${id}/unmute`);
    expect(await unmuted.json()).toMatchObject({ muting: false, muting_notifications: false });
    expect(await db().select().from(mutes).where(eq(mutes.actor, loud.id))).toEqual([]);
  });

  it("stops applying once it has ended", async () => {
    const brief = await RemoteActor.create({ host: "safety-m.test", username: "brief" });
    await brief.send(brief.activity("Follow", OWNER));
    const id = await idOf(brief);
    await db()
      .insert(mutes)
      .values({ actor: brief.id, expiresAt: new Date(Date.now() - 1000), createdAt: new Date() });
    const listed = (await (await api("/v1/mutes")).json()) as { id: string }[];
    expect(listed.map((a) => a.id)).not.toContain(id);
    const rel = await post(`/v1/accounts/${id}/unmute`);
    expect(await rel.json()).toMatchObject({ muting: false });
  });

  it("is deleted by the cron's sweep once ended; one still in force stays", async () => {
    const [ended, lasting] = await RemoteActor.crowd("safety-x", 2);
    if (ended === undefined || lasting === undefined) throw new Error("no actors");
    const now = Date.now();
    await db()
      .insert(mutes)
      .values([
        { actor: ended.id, expiresAt: new Date(now - 1000), createdAt: new Date(now - 5000) },
        { actor: lasting.id, expiresAt: new Date(now + 60_000), createdAt: new Date(now) },
      ]);
    expect(await expireMutes(db(), { now: new Date(now), limit: 100 })).toBeGreaterThanOrEqual(1);
    const left = await db()
      .select({ actor: mutes.actor })
      .from(mutes)
      .where(or(eq(mutes.actor, ended.id), eq(mutes.actor, lasting.id)));
    expect(left).toEqual([{ actor: lasting.id }]);
  });

  it("refuses a duration that is not whole, non-negative seconds (422)", async () => {
    const quiet = await RemoteActor.create({ host: "safety-m.test", username: "quiet" });
    await quiet.send(quiet.activity("Follow", OWNER));
    const id = await idOf(quiet);
    for (const duration of ["soon", -1, 1.5, 1e12]) {
      const res = await post(`/v1/accounts/${id}/mute`, { duration });
      expect(res.status, String(duration)).toBe(422);
      expect(((await res.json()) as { error: string }).error).toMatch(
        /^Validation failed: duration/,
      );
    }
    expect((await post(`/v1/accounts/${id}/mute`, { notifications: "maybe" })).status).toBe(422);
  });
});

describe("account actions refuse", () => {
  it("an unknown or malformed id (404)", async () => {
    for (const action of ["block", "unblock", "mute", "unmute"]) {
      for (const id of ["999999999", "abc"]) {
        const res = await post(`/v1/accounts/${id}/${action}`);
        expect(res.status, `${action} ${id}`).toBe(404);
        expect(await res.json()).toEqual({ error: "Record not found" });
      }
    }
  });

  let app: Awaited<ReturnType<typeof registerApp>>;
  beforeAll(async () => {
    app = await registerApp({ scopes: "read write follow" });
  });

  it("a token without the route's scope (403); `follow` grants blocks and mutes", async () => {
    const mutesOnly = await signIn(app, { scope: "write:mutes", address: "10.15.0.1" });
    const block = await api("/v1/accounts/999999999/block", { method: "POST", token: mutesOnly });
    expect(block.status).toBe(403);
    const mute = await api("/v1/accounts/999999999/mute", { method: "POST", token: mutesOnly });
    expect(mute.status).toBe(404);
    expect((await api("/v1/mutes", { token: mutesOnly })).status).toBe(403);
    const follow = await signIn(app, { scope: "follow", address: "10.15.0.2" });
    for (const path of ["/v1/blocks", "/v1/mutes", "/v1/domain_blocks"]) {
      expect((await api(path, { token: follow })).status, path).toBe(200);
    }
    // The accounts router's own scopes are untouched by these routes.
    expect((await api("/v1/accounts/999999999", { token: follow })).status).toBe(403);
  });
});

describe("domain blocks", { timeout: 20_000 }, () => {
  it("blocks a domain (normalised), lists it, and unblocks it by query or body", async () => {
    const res = await post("/v1/domain_blocks", { domain: " Spam.Safety-D.TEST. " });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const [row] = await db()
      .select()
      .from(domainBlocks)
      .where(eq(domainBlocks.domain, "spam.safety-d.test"));
    expect(row).toBeDefined();
    expect(await (await api("/v1/domain_blocks")).json()).toContain("spam.safety-d.test");
    // Again: nothing changes.
    expect((await post("/v1/domain_blocks", { domain: "spam.safety-d.test" })).status).toBe(200);
    const gone = await api("/v1/domain_blocks?domain=SPAM.safety-d.test", { method: "DELETE" });
    expect(gone.status).toBe(200);
    expect(await gone.json()).toEqual({});
    expect(await (await api("/v1/domain_blocks")).json()).not.toContain("spam.safety-d.test");
    // Internationalised names are kept in their ASCII form, as hosts are.
    await post("/v1/domain_blocks", { domain: "bücher.safety-d.test" });
    expect(await (await api("/v1/domain_blocks")).json()).toContain("xn--bcher-kva.safety-d.test");
    await api("/v1/domain_blocks", { method: "DELETE", body: { domain: "bücher.safety-d.test" } });
    expect(await (await api("/v1/domain_blocks")).json()).not.toContain(
      "xn--bcher-kva.safety-d.test",
    );
  });

  it("refuses what is not a host, and this server's own (422)", async () => {
    for (const domain of [
      "",
      "not a domain",
      "https://safety-d.test/",
      "user@safety-d.test",
      "safety-d.test/path",
      "-bad-.test",
      "outpost.test",
    ]) {
      const res = await post("/v1/domain_blocks", { domain });
      expect(res.status, domain).toBe(422);
      expect(((await res.json()) as { error: string }).error).toMatch(/^Validation failed: domain/);
    }
    expect((await post("/v1/domain_blocks")).status).toBe(422);
    expect((await api("/v1/domain_blocks", { method: "DELETE" })).status).toBe(422);
  });

  it("pages with a Link header, by the blocks' ids", async () => {
    for (const n of [1, 2, 3])
      await post("/v1/domain_blocks", { domain: `page${n}.safety-p.test` });
    const first = await api("/v1/domain_blocks?limit=2");
    const names = (await first.json()) as string[];
    expect(names.slice(0, 2)).toEqual(["page3.safety-p.test", "page2.safety-p.test"]);
    const { next } = linksOf(first);
    expect(next).toMatch(/\/api\/v1\/domain_blocks\?limit=2&max_id=\d+$/);
    expect(((await (await api(next ?? "")).json()) as string[])[0]).toBe("page1.safety-p.test");
  });

  it("ends the follows both ways with the domain's actors, and no one else's, telling each as Mastodon does", async () => {
    const there = await mutual("safety-e.test", "there");
    const also = await RemoteActor.create({ host: "safety-e.test", username: "also" });
    await also.send(also.activity("Follow", OWNER));
    const elsewhere = await mutual("safety-f.test", "elsewhere");
    const [ours] = await db().select().from(follows).where(eq(follows.actor, there.id));
    const [theirs] = await db().select().from(follows).where(eq(follows.follower, there.id));
    const [alsoTheirs] = await db().select().from(follows).where(eq(follows.follower, also.id));
    const before = new Set((await db().select().from(outbox)).map((a) => a.id));
    const sentSince = async () =>
      (await db().select().from(outbox)).filter((a) => !before.has(a.id)).map((a) => a.type);
    expect((await post("/v1/domain_blocks", { domain: "safety-e.test" })).status).toBe(200);
    expect(await edgesOf(there.id)).toEqual([]);
    expect(await edgesOf(also.id)).toEqual([]);
    expect(await edgesOf(elsewhere.id)).toHaveLength(2);
    // Undo of the owner's Follow, Reject of each of theirs; no Block.
    const [undo] = await delivered(there, "Undo", ours?.activityId ?? "?");
    expect(undo).toMatchObject({
      actor: OWNER,
      to: [there.id],
      object: { type: "Follow", id: ours?.activityId, actor: OWNER, object: there.id },
    });
    const [reject] = await delivered(there, "Reject", theirs?.activityId ?? "?");
    expect(reject).toMatchObject({
      actor: OWNER,
      to: [there.id],
      object: { type: "Follow", id: theirs?.activityId, actor: there.id, object: OWNER },
    });
    expect(await delivered(also, "Reject", alsoTheirs?.activityId ?? "?")).toHaveLength(1);
    expect((await sentSince()).sort()).toEqual(["Reject", "Reject", "Undo"]);
    // Again: nothing more ends, nothing more is sent.
    expect((await post("/v1/domain_blocks", { domain: "safety-e.test" })).status).toBe(200);
    expect(await sentSince()).toHaveLength(3);
    const rel = await post(`/v1/accounts/${await idOf(there)}/unmute`);
    expect(await rel.json()).toMatchObject({ domain_blocking: true, following: false });
  });
});
