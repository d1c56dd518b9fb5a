/**
 * The owner's lists (`/api/v1/lists`): what each route answers and refuses, who may be a
 * member, the lists an account is on, and a list's timeline (members' posts only, replies by
 * the list's policy, paging, and the `home` filters applied).
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accountId } from "../src/mastodon/ids";
import { findActor } from "../src/storage/actors";
import { listMembers, lists } from "../src/storage/schema-lists";
import { api, db, linksOf, ORIGIN, OWNER, ownerAccountId, seedFollow } from "./helpers";
import { registerApp, signIn } from "./support/oauth";
import { RemoteActor } from "./support/remote";
import { formRequest, json, seedActor } from "./support/sorting";

interface List {
  id: string;
  title: string;
  replies_policy: string;
  exclusive: boolean;
}

const createList = (body: Record<string, unknown>) => json<List>(api("/v1/lists", { body }));

describe("lists", () => {
  it("creates, shows, lists, changes and deletes a list", async () => {
    const created = await createList({ title: "  Friends " });
    expect(created).toEqual({
      id: expect.stringMatching(/^\d+$/),
      title: "Friends",
      replies_policy: "list",
      exclusive: false,
    });
    expect(await json<List>(api(`/v1/lists/${created.id}`))).toEqual(created);
    expect(await json<List[]>(api("/v1/lists"))).toContainEqual(created);
    const changed = await json<List>(
      api(`/v1/lists/${created.id}`, {
        method: "PUT",
        body: { replies_policy: "none", exclusive: true, title: null },
      }),
    );
    expect(changed).toEqual({ ...created, replies_policy: "none", exclusive: true });
    const renamed = await json<List>(
      formRequest(`/v1/lists/${created.id}`, "PUT", [
        ["title", "Close friends"],
        ["exclusive", "false"],
      ]),
    );
    expect(renamed).toEqual({ ...changed, title: "Close friends", exclusive: false });
    expect(await json(api(`/v1/lists/${created.id}`, { method: "DELETE" }))).toEqual({});
    expect(await json(api(`/v1/lists/${created.id}`), 404)).toEqual({ error: "Record not found" });
    expect(await json<List[]>(api("/v1/lists"))).not.toContainEqual(renamed);
  });

  it("refuses a missing, blank or long title and an unknown policy (422), unknown ids (404)", async () => {
    for (const body of [
      {},
      { title: "   " },
      { title: "x".repeat(256) },
      { title: 5 },
      { title: "ok", replies_policy: "everyone" },
      { title: "ok", exclusive: "maybe" },
    ]) {
      const error = await json<{ error: string }>(api("/v1/lists", { body }), 422);
      expect(error.error, JSON.stringify(body)).toMatch(/^Validation failed: /);
    }
    const { id } = await createList({ title: "x".repeat(255) });
    const blank = api(`/v1/lists/${id}`, { method: "PUT", body: { title: "" } });
    expect((await blank).status).toBe(422);
    for (const path of ["/v1/lists/999999", "/v1/lists/abc", "/v1/lists/-1"]) {
      expect((await api(path)).status, path).toBe(404);
      expect((await api(path, { method: "PUT", body: { title: "x" } })).status, path).toBe(404);
      expect((await api(path, { method: "DELETE" })).status, path).toBe(404);
      expect((await api(`${path}/accounts`)).status, path).toBe(404);
    }
  });

  it("keeps at most 100 lists", async () => {
    const existing = (await json<List[]>(api("/v1/lists"))).length;
    const rows = Array.from({ length: 100 - existing }, (_, i) => ({
      title: `filler ${i}`,
      createdAt: new Date(),
    }));
    for (let i = 0; i < rows.length; i += 20)
      await db()
        .insert(lists)
        .values(rows.slice(i, i + 20));
    const refused = await json<{ error: string }>(
      api("/v1/lists", { body: { title: "one more" } }),
      422,
    );
    expect(refused.error).toMatch(/at most 100 lists/);
    await db().delete(lists).where(eq(lists.title, "filler 0"));
    await createList({ title: "one more" });
    for (const row of rows) await db().delete(lists).where(eq(lists.title, row.title));
  });
});

describe("list members", () => {
  it("adds accounts the owner follows or asked to, and no one else", async () => {
    const [followed, asked, stranger] = await Promise.all([
      seedActor("m-followed"),
      seedActor("m-asked"),
      seedActor("m-stranger"),
    ]);
    await seedFollow(followed.row.id, OWNER);
    await seedFollow(asked.row.id, OWNER, "pending");
    await seedFollow(OWNER, stranger.row.id);
    const list = await createList({ title: "Members" });
    const path = `/v1/lists/${list.id}/accounts`;
    expect(await json(api(path, { body: { account_ids: [followed.apiId] } }))).toEqual({});
    // A form, as Tusky sends it; adding a member twice changes nothing.
    const added = await formRequest(path, "POST", [
      ["account_ids[]", asked.apiId],
      ["account_ids[]", followed.apiId],
    ]);
    expect(added.status).toBe(200);
    const members = await json<{ id: string; acct: string }[]>(api(path));
    expect(members.map((m) => m.id).sort()).toEqual([followed.apiId, asked.apiId].sort());

    const refused = await json<{ error: string }>(
      api(path, { body: { account_ids: [stranger.apiId] } }),
      422,
    );
    expect(refused.error).toMatch(/follow/);
    const self = await ownerAccountId();
    expect((await api(path, { body: { account_ids: [self] } })).status).toBe(422);
    for (const ids of [["999"], ["12345678901234567"], ["x"], 5, [followed.apiId, "7"]]) {
      const res = await api(path, { body: { account_ids: ids } });
      expect([404, 422], JSON.stringify(ids)).toContain(res.status);
    }
    // Nothing named, nothing done.
    expect(await json(api(path, { body: { account_ids: [] } }))).toEqual({});
    const many = Array.from({ length: 101 }, () => followed.apiId);
    expect((await api(path, { body: { account_ids: many } })).status).toBe(422);

    // The lists an account is on; none for the owner; 404 for no one.
    expect(
      (await json<List[]>(api(`/v1/accounts/${followed.apiId}/lists`))).map((l) => l.id),
    ).toEqual([list.id]);
    expect(await json(api(`/v1/accounts/${stranger.apiId}/lists`))).toEqual([]);
    expect(await json(api(`/v1/accounts/${self}/lists`))).toEqual([]);
    expect((await api("/v1/accounts/12345/lists")).status).toBe(404);
    expect((await api("/v1/accounts/12345/lists")).status).toBe(404);

    // Removal by the query, as apps send a DELETE's ids.
    const removed = await api(`${path}?account_ids[]=${asked.apiId}`, { method: "DELETE" });
    expect(removed.status).toBe(200);
    expect((await json<{ id: string }[]>(api(path))).map((m) => m.id)).toEqual([followed.apiId]);
    const byBody = api(path, { method: "DELETE", body: { account_ids: [followed.apiId] } });
    expect((await byBody).status).toBe(200);
    expect(await json(api(path))).toEqual([]);
  });

  it("pages the members by account id, or gives them all with limit=0", async () => {
    const list = await createList({ title: "Paged" });
    const people = [];
    for (const n of [1, 2, 3]) {
      const person = await seedActor(`paged-${n}`);
      await seedFollow(person.row.id, OWNER);
      people.push(person.apiId);
    }
    const path = `/v1/lists/${list.id}/accounts`;
    await json(api(path, { body: { account_ids: people } }));
    const first = await api(`${path}?limit=2`);
    const ids = ((await first.json()) as { id: string }[]).map((a) => a.id);
    expect(ids).toEqual([people[2], people[1]]);
    const next = linksOf(first).next;
    expect(next).toBe(`${ORIGIN}/api${path}?limit=2&max_id=${people[1]}`);
    const rest = await json<{ id: string }[]>(api(next ?? ""));
    expect(rest.map((a) => a.id)).toEqual([people[0]]);
    const all = await api(`${path}?limit=0`);
    expect(((await all.json()) as unknown[]).length).toBe(3);
    expect(all.headers.get("Link")).toBeNull();
    expect((await api(`${path}?limit=x`)).status).toBe(400);
  });

  it("deletes a list's members with the list", async () => {
    const person = await seedActor("gone-with-list");
    await seedFollow(person.row.id, OWNER);
    const list = await createList({ title: "Doomed" });
    await json(api(`/v1/lists/${list.id}/accounts`, { body: { account_ids: [person.apiId] } }));
    await json(api(`/v1/lists/${list.id}`, { method: "DELETE" }));
    const left = await db()
      .select()
      .from(listMembers)
      .where(eq(listMembers.list, Number(list.id)));
    expect(left).toEqual([]);
  });
});

describe("list members leave with the owner's follow", { timeout: 20_000 }, () => {
  /** A remote account the owner follows (stored as a received activity stores it). */
  async function followed(host: string, username: string) {
    const actor = await RemoteActor.create({ host, username });
    expect((await actor.send(actor.like(`${OWNER}/statuses/nothing`))).status).toBe(202);
    const row = await findActor(db(), actor.id);
    if (row === undefined) throw new Error(`${actor.id} is not stored`);
    await seedFollow(actor.id, OWNER);
    return { actor, apiId: accountId(row) };
  }
  const isMember = async (actor: string) =>
    (await db().select().from(listMembers).where(eq(listMembers.actor, actor))).length > 0;

  it("when the owner unfollows or blocks them or their domain, or they Reject or Block the owner", async () => {
    const people = {
      unfollowed: await followed("lists-leave.test", "unfollowed"),
      blocked: await followed("lists-leave.test", "blocked"),
      onDomain: await followed("lists-gone.test", "ondomain"),
      rejecting: await followed("lists-leave.test", "rejecting"),
      blocking: await followed("lists-leave.test", "blocking"),
      staying: await followed("lists-leave.test", "staying"),
    };
    const list = await createList({ title: "Leaving" });
    const other = await createList({ title: "Leaving too" });
    for (const { id } of [list, other]) {
      const account_ids = Object.values(people).map((p) => p.apiId);
      await json(api(`/v1/lists/${id}/accounts`, { body: { account_ids } }));
    }
    const { unfollowed, blocked, onDomain, rejecting, blocking, staying } = people;
    await json(api(`/v1/accounts/${unfollowed.apiId}/unfollow`, { method: "POST" }));
    await json(api(`/v1/accounts/${blocked.apiId}/block`, { method: "POST" }));
    await json(api("/v1/domain_blocks", { body: { domain: "lists-gone.test" } }));
    const ours = { type: "Follow", actor: OWNER, object: rejecting.actor.id };
    const reject = rejecting.actor.activity("Reject", ours);
    expect((await rejecting.actor.send(reject)).status).toBe(202);
    const block = blocking.actor.activity("Block", OWNER);
    expect((await blocking.actor.send(block)).status).toBe(202);
    for (const gone of [unfollowed, blocked, onDomain, rejecting, blocking]) {
      expect(await isMember(gone.actor.id), gone.actor.id).toBe(false);
    }
    // Someone else on the same server stays, on both lists.
    const left = await db()
      .select()
      .from(listMembers)
      .where(eq(listMembers.actor, staying.actor.id));
    expect(left.map((m) => m.list).sort()).toEqual([Number(list.id), Number(other.id)].sort());
  });
});

describe("scopes", () => {
  it("asks read:lists for the list routes under accounts and timelines, not their scopes", async () => {
    const app = await registerApp({ client_name: "Lists app" });
    const lister = await signIn(app, { scope: "read:lists", address: "10.15.0.1" });
    const reader = await signIn(app, {
      scope: "read:statuses read:accounts",
      address: "10.15.0.2",
    });
    const { id } = await createList({ title: "Scoped" });
    const owner = await ownerAccountId();
    for (const path of [`/v1/timelines/list/${id}`, `/v1/accounts/${owner}/lists`, "/v1/lists"]) {
      expect((await api(path, { token: lister })).status, path).toBe(200);
      expect((await api(path, { token: reader })).status, path).toBe(403);
    }
    // The routes around them keep their own scopes.
    expect((await api("/v1/timelines/home", { token: lister })).status).toBe(403);
    expect((await api(`/v1/accounts/${owner}`, { token: lister })).status).toBe(403);
    expect((await api("/v1/lists", { token: lister, body: { title: "no" } })).status).toBe(403);
  });
});
