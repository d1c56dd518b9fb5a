/**
 * What the owner marks on statuses, and who else did: pins (the featured collection, an
 * `Add` and a `Remove` to the followers), bookmarks and favourites (listed and paged by the
 * mark's own id), and the accounts that liked or boosted a status.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { outbox } from "../src/storage/schema";
import { AP, api, db, get, linksOf, OWNER, ownerAccountId, seedNote, statusIdOf } from "./helpers";
import { registerApp, signIn } from "./support/oauth";
import { got, ownerFollowers } from "./support/publish";
import { eventually, RemoteActor } from "./support/remote";

interface Status {
  id: string;
  uri: string;
  pinned: boolean;
  bookmarked: boolean;
  favourited: boolean;
}

const SHARED = "https://marks-a.test/inbox";
const { bea } = await ownerFollowers({ shared: "marks-a.test", own: "marks-b.test" });
const gil = await RemoteActor.create({ host: "marks-c.test", username: "gil" });
const hal = await RemoteActor.create({ host: "marks-d.test", username: "hal" });

async function post(body: Record<string, unknown>): Promise<Status> {
  const res = await api("/v1/statuses", { body });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Status;
}

async function act(id: string, action: string, token?: string) {
  return api(`/v1/statuses/${id}/${action}`, { method: "POST", token });
}

/** A remote note that mentions the owner, as its author sent it; its status id. */
async function theirs(author: RemoteActor, text: string): Promise<string> {
  const note = author.note(`<p>${text}</p>`, {
    tag: [{ type: "Mention", href: OWNER, name: "@owner" }],
  });
  expect((await author.send(author.activity("Create", note))).status).toBe(202);
  return statusIdOf(note.id);
}

const featured = async () =>
  (
    (await (await get("/users/owner/featured?page=true", AP)).json()) as {
      orderedItems: { id: string }[];
    }
  ).orderedItems.map((note) => note.id);

describe("pins", { timeout: 20_000 }, () => {
  it("pins a status: pinned, featured, and an Add to the followers; unpinning undoes it", async () => {
    const status = await post({ status: "pin me" });
    const pinned = await act(status.id, "pin");
    expect(pinned.status).toBe(200);
    expect(await pinned.json()).toMatchObject({ id: status.id, pinned: true });
    expect(await (await api(`/v1/statuses/${status.id}`)).json()).toMatchObject({ pinned: true });
    expect(await featured()).toContain(status.uri);
    const [add] = await eventually(async () => {
      const adds = await got(SHARED, "Add", status.uri);
      return adds.length > 0 ? adds : undefined;
    });
    expect(add).toMatchObject({
      type: "Add",
      actor: OWNER,
      object: status.uri,
      target: `${OWNER}/featured`,
    });
    await eventually(async () => (await got(bea.inbox, "Add", status.uri)).length === 1);

    // Pinned already: answered as it is, nothing sent again.
    expect(await (await act(status.id, "pin")).json()).toMatchObject({ pinned: true });

    const unpinned = await act(status.id, "unpin");
    expect(await unpinned.json()).toMatchObject({ id: status.id, pinned: false });
    expect(await featured()).not.toContain(status.uri);
    const [remove] = await eventually(async () => {
      const removes = await got(SHARED, "Remove", status.uri);
      return removes.length > 0 ? removes : undefined;
    });
    expect(remove).toMatchObject({ object: status.uri, target: `${OWNER}/featured` });
    expect(await got(SHARED, "Add", status.uri)).toHaveLength(1);
    // Not pinned: unpinning again answers the status.
    expect((await act(status.id, "unpin")).status).toBe(200);
  });

  it("pins at most five, as Mastodon", async () => {
    const pins = [];
    for (let i = 0; i < 5; i++) {
      const status = await post({ status: `pin ${i}`, visibility: "unlisted" });
      expect((await act(status.id, "pin")).status).toBe(200);
      pins.push(status);
    }
    const sixth = await post({ status: "one too many" });
    const res = await act(sixth.id, "pin");
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: string }).error).toMatch(/at most 5/);
    expect(await featured()).toHaveLength(5);
    // Deleting a pinned status frees its place.
    const pinnedNow = (await featured())[0];
    const gone = pins.find((p) => p.uri === pinnedNow);
    expect((await api(`/v1/statuses/${gone?.id}`, { method: "DELETE" })).status).toBe(200);
    expect((await act(sixth.id, "pin")).status).toBe(200);
    for (const uri of await featured()) {
      expect((await act(await statusIdOf(uri), "unpin")).status).toBe(200);
    }
  });

  it("keeps to five when pins are asked at once, and sends one Add for each pin made", async () => {
    for (let i = 0; i < 4; i++) {
      const status = await post({ status: `held ${i}` });
      expect((await act(status.id, "pin")).status).toBe(200);
    }
    const [a, b] = [await post({ status: "racing a" }), await post({ status: "racing b" })];
    const answers = await Promise.all([act(a.id, "pin"), act(b.id, "pin"), act(a.id, "pin")]);
    expect(answers.map((res) => res.status)).toContain(200);
    expect(answers.map((res) => res.status)).toContain(422);
    expect(await featured()).toHaveLength(5);
    const adds = (await db().select().from(outbox)).filter(
      (row) => row.type === "Add" && (row.objectId === a.uri || row.objectId === b.uri),
    );
    expect(adds).toHaveLength(1);
    // Unpinned twice at once: one Remove.
    const pinned = adds[0]?.objectId === a.uri ? a : b;
    await Promise.all([act(pinned.id, "unpin"), act(pinned.id, "unpin")]);
    const removes = (await db().select().from(outbox)).filter(
      (row) => row.type === "Remove" && row.objectId === pinned.uri,
    );
    expect(removes).toHaveLength(1);
    for (const uri of await featured()) {
      expect((await act(await statusIdOf(uri), "unpin")).status).toBe(200);
    }
  });

  it("refuses what Mastodon refuses: another's, private or direct statuses, boosts (422), unknown ids (404)", async () => {
    const remote = await theirs(gil, "not yours to pin");
    const secret = await post({ status: "followers only", visibility: "private" });
    const direct = await post({ status: "@nobody@nowhere.test", visibility: "direct" });
    const boost = (await (await act(remote, "reblog")).json()) as { id: string };
    for (const id of [remote, secret.id, direct.id, boost.id]) {
      const res = await act(id, "pin");
      expect(res.status, id).toBe(422);
      expect(((await res.json()) as { error: string }).error).toMatch(/^Validation failed: /);
    }
    for (const id of ["999999", "abc"]) {
      expect((await act(id, "pin")).status).toBe(404);
      expect((await act(id, "unpin")).status).toBe(404);
    }
    expect(await featured()).toEqual([]);
  });

  it("takes write:accounts, as Mastodon (write:statuses is not enough)", async () => {
    const app = await registerApp();
    const statusesOnly = await signIn(app, { scope: "write:statuses", address: "10.77.0.1" });
    const accounts = await signIn(app, { scope: "write:accounts", address: "10.77.0.2" });
    const status = await post({ status: "scoped pin" });
    expect((await act(status.id, "pin", statusesOnly)).status).toBe(403);
    expect((await act(status.id, "pin", accounts)).status).toBe(200);
    expect((await act(status.id, "unpin", accounts)).status).toBe(200);
  });
});

describe("bookmarks", { timeout: 20_000 }, () => {
  let older: string;
  let newer: string;
  beforeAll(async () => {
    older = (await seedNote({ content: "<p>older</p>" })).statusId;
    newer = await theirs(hal, "newer, someone else's");
  });

  it("bookmarks any status the owner may see, and shows it bookmarked", async () => {
    const res = await act(newer, "bookmark");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: newer, bookmarked: true });
    expect(await (await api(`/v1/statuses/${newer}`)).json()).toMatchObject({ bookmarked: true });
    // Twice changes nothing.
    expect(await (await act(newer, "bookmark")).json()).toMatchObject({ bookmarked: true });
    expect(await (await act(older, "bookmark")).json()).toMatchObject({ bookmarked: true });
  });

  it("lists them newest bookmark first, paged by the bookmark's own id", async () => {
    const first = await api("/v1/bookmarks?limit=1");
    expect(first.status).toBe(200);
    // The older status was bookmarked last: it comes first.
    expect(((await first.json()) as Status[]).map((s) => s.id)).toEqual([older]);
    const { next, prev } = linksOf(first);
    expect(next).toMatch(/^https:\/\/outpost\.test\/api\/v1\/bookmarks\?limit=1&max_id=\d+$/);
    expect(prev).toMatch(/min_id=\d+$/);
    // The cursor is the bookmark's, not a status id.
    expect(next).not.toContain(older);
    const second = await api(next ?? "");
    expect(((await second.json()) as Status[]).map((s) => s.id)).toEqual([newer]);
    // The oldest page says so: no `next`.
    expect(linksOf(second).next).toBeUndefined();
    const back = await api(linksOf(second).prev ?? "");
    expect(((await back.json()) as Status[]).map((s) => s.id)).toEqual([older]);
  });

  it("unbookmarks; refuses unknown ids (404), a bad cursor (400) and a token without write:bookmarks (403)", async () => {
    expect(await (await act(newer, "unbookmark")).json()).toMatchObject({ bookmarked: false });
    const all = (await (await api("/v1/bookmarks")).json()) as Status[];
    expect(all.map((s) => s.id)).toEqual([older]);
    expect((await act("999999", "bookmark")).status).toBe(404);
    expect((await api("/v1/bookmarks?max_id=nope")).status).toBe(400);
    const app = await registerApp();
    const reader = await signIn(app, { scope: "read:bookmarks", address: "10.77.0.3" });
    const writer = await signIn(app, { scope: "write:statuses", address: "10.77.0.4" });
    expect((await api("/v1/bookmarks", { token: reader })).status).toBe(200);
    expect((await api("/v1/favourites", { token: reader })).status).toBe(403);
    expect((await act(older, "bookmark", writer)).status).toBe(403);
  });
});

describe("favourites", { timeout: 20_000 }, () => {
  it("lists the owner's likes, newest like first, paged by the like's own id", async () => {
    const a = await theirs(gil, "liked second");
    const b = await theirs(hal, "liked first");
    expect((await act(b, "favourite")).status).toBe(200);
    expect((await act(a, "favourite")).status).toBe(200);
    const first = await api("/v1/favourites?limit=1");
    expect(((await first.json()) as Status[]).map((s) => [s.id, s.favourited])).toEqual([
      [a, true],
    ]);
    const second = await api(linksOf(first).next ?? "");
    expect(((await second.json()) as Status[]).map((s) => s.id)).toEqual([b]);
    expect((await act(a, "unfavourite")).status).toBe(200);
    expect(((await (await api("/v1/favourites")).json()) as Status[]).map((s) => s.id)).toEqual([
      b,
    ]);
  });
});

describe("favourited_by and reblogged_by", { timeout: 20_000 }, () => {
  it("lists who liked and who boosted a status, newest first, paged", async () => {
    const status = await post({ status: "popular" });
    for (const actor of [gil, hal]) {
      expect((await actor.send(actor.like(status.uri))).status).toBe(202);
    }
    expect((await act(status.id, "favourite")).status).toBe(200);
    expect((await gil.send(gil.boost(status.uri))).status).toBe(202);
    expect((await act(status.id, "reblog")).status).toBe(200);

    const owner = await ownerAccountId();
    const likers = await api(`/v1/statuses/${status.id}/favourited_by?limit=2`);
    expect(likers.status).toBe(200);
    const page = (await likers.json()) as { id: string; acct: string }[];
    expect(page.map((a) => a.acct)).toEqual(["owner", "hal@marks-d.test"]);
    expect(page[0]?.id).toBe(owner);
    const rest = await api(linksOf(likers).next ?? "");
    expect(((await rest.json()) as { acct: string }[]).map((a) => a.acct)).toEqual([
      "gil@marks-c.test",
    ]);

    const boosters = await api(`/v1/statuses/${status.id}/reblogged_by`);
    expect(((await boosters.json()) as { acct: string }[]).map((a) => a.acct)).toEqual([
      "owner",
      "gil@marks-c.test",
    ]);
    const one = await api(`/v1/statuses/${status.id}/reblogged_by?limit=1`);
    const older = await api(linksOf(one).next ?? "");
    expect(((await older.json()) as { acct: string }[]).map((a) => a.acct)).toEqual([
      "gil@marks-c.test",
    ]);
  });

  it("refuses unknown ids (404), bad cursors (400), and a token without read:accounts (403)", async () => {
    for (const path of ["favourited_by", "reblogged_by"]) {
      expect((await api(`/v1/statuses/999999/${path}`)).status).toBe(404);
      const status = await post({ status: `nobody ${path}` });
      expect(await (await api(`/v1/statuses/${status.id}/${path}`)).json()).toEqual([]);
      expect((await api(`/v1/statuses/${status.id}/${path}?since_id=x`)).status).toBe(400);
      const app = await registerApp();
      const statuses = await signIn(app, {
        scope: "read:statuses",
        address: `10.77.1.${path.length}`,
      });
      expect((await api(`/v1/statuses/${status.id}/${path}`, { token: statuses })).status).toBe(
        403,
      );
    }
  });
});
