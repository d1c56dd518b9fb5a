/**
 * An account's statuses (`GET /api/v1/accounts/:id/statuses`): the owner's notes and boosts
 * with Mastodon's filters and paging; a remote account's stored notes as the owner may see
 * them, refreshed in the background from its outbox, at most once in the refresh window.
 */
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { accountId } from "../src/mastodon/ids";
import { accountStatusesPage } from "../src/storage/account-statuses";
import { actors, noteRecipients, notes, reactions } from "../src/storage/schema";
import { api, db, linksOf, ownerAccountId, plansOf, seedNote, tick } from "./helpers";
import { registerApp, signIn } from "./support/oauth";
import { eventually, OWNER, PUBLIC, RemoteActor, received, serve } from "./support/remote";

interface Status {
  id: string;
  uri: string;
  content: string;
  pinned: boolean;
  reblog: Status | null;
  account: { id: string; acct: string };
}

async function statuses(path: string): Promise<{ body: Status[]; res: Response }> {
  const res = await api(path);
  expect(res.status, await res.clone().text()).toBe(200);
  return { body: (await res.json()) as Status[], res };
}

const slugs = (list: Status[]) =>
  list.map((s) =>
    s.reblog === null ? s.uri.split("/").pop() : `boost:${s.reblog.uri.split("/").pop()}`,
  );

describe("the owner's statuses", () => {
  let owner: string;
  beforeAll(async () => {
    owner = await ownerAccountId();
    await seedNote({ id: "as-1", tags: ["cats"] });
    await seedNote({ id: "as-2", pinned: true });
    await seedNote({ id: "as-3", inReplyTo: "https://elsewhere.test/notes/1" });
    await seedNote({ id: "as-4", inReplyTo: `${OWNER}/statuses/as-2` });
    await seedNote({ id: "as-5", visibility: "direct" });
    await seedNote({ id: "as-6", deleted: true });
    const media = await seedNote({ id: "as-7" });
    await db()
      .update(notes)
      .set({
        attachments: [{ type: "Image", mediaType: "image/png", url: "https://x.test/a.png" }],
      })
      .where(eq(notes.id, media.id));
    // The owner boosts their first note, last of all.
    await db()
      .insert(reactions)
      .values({
        id: `${OWNER}/statuses/as-1/activity-boost`,
        type: "Announce",
        actor: OWNER,
        object: `${OWNER}/statuses/as-1`,
        createdAt: tick(),
      });
  });

  it("lists every note of theirs and their boosts, newest first, deleted ones left out", async () => {
    const { body } = await statuses(`/v1/accounts/${owner}/statuses`);
    expect(slugs(body)).toEqual(["boost:as-1", "as-7", "as-5", "as-4", "as-3", "as-2", "as-1"]);
    const boost = body[0];
    expect(BigInt(boost?.id ?? "0") % 2n).toBe(1n);
    expect(boost?.account.id).toBe(owner);
    expect(body.find((s) => s.uri.endsWith("as-2"))?.pinned).toBe(true);
  });

  it("filters: pinned, exclude_reblogs, exclude_replies (threads kept), only_media, tagged", async () => {
    const base = `/v1/accounts/${owner}/statuses`;
    expect(slugs((await statuses(`${base}?pinned=true`)).body)).toEqual(["as-2"]);
    expect(slugs((await statuses(`${base}?exclude_reblogs=1`)).body)).not.toContain("boost:as-1");
    expect(slugs((await statuses(`${base}?exclude_replies=true`)).body)).toEqual([
      "boost:as-1",
      "as-7",
      "as-5",
      "as-4",
      "as-2",
      "as-1",
    ]);
    expect(slugs((await statuses(`${base}?only_media=true`)).body)).toEqual(["as-7"]);
    expect(slugs((await statuses(`${base}?tagged=%23CATS`)).body)).toEqual(["as-1"]);
    expect(slugs((await statuses(`${base}?tagged=dogs`)).body)).toEqual([]);
    expect(slugs((await statuses(`${base}?tagged=not%20a%20tag`)).body)).toEqual([]);
    // Rails' false values are false.
    expect(slugs((await statuses(`${base}?pinned=false&only_media=0`)).body)).toHaveLength(7);
  });

  it("pages with max_id, min_id and since_id, and Link headers that keep the filters", async () => {
    const base = `/v1/accounts/${owner}/statuses`;
    const first = await statuses(`${base}?limit=3&exclude_replies=true`);
    expect(slugs(first.body)).toEqual(["boost:as-1", "as-7", "as-5"]);
    const links = linksOf(first.res);
    expect(links.next).toContain("exclude_replies=true");
    expect(links.next).toContain(`max_id=${first.body[2]?.id}`);
    expect(links.prev).toContain(`min_id=${first.body[0]?.id}`);
    const second = await statuses(links.next ?? "");
    expect(slugs(second.body)).toEqual(["as-4", "as-2", "as-1"]);
    // The oldest page says so: it has no `next`.
    expect(linksOf(second.res).next).toBeUndefined();
    const newer = await statuses(`${base}?min_id=${second.body[0]?.id}&limit=2`);
    expect(slugs(newer.body)).toEqual(["as-7", "as-5"]);
    const since = await statuses(`${base}?since_id=${second.body[0]?.id}&limit=2`);
    expect(slugs(since.body)).toEqual(["boost:as-1", "as-7"]);
  });

  it("refuses an unknown account (404), a malformed cursor (400) and a token without read:statuses (403)", async () => {
    expect((await api("/v1/accounts/12345/statuses")).status).toBe(404);
    expect((await api("/v1/accounts/12344/statuses")).status).toBe(404);
    expect((await api("/v1/accounts/nope/statuses")).status).toBe(404);
    const bad = await api(`/v1/accounts/${owner}/statuses?max_id=x`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: expect.stringMatching(/max_id/) });
    const app = await registerApp();
    const token = await signIn(app, { scope: "read:accounts", address: "10.31.0.1" });
    const res = await api(`/v1/accounts/${owner}/statuses`, { token });
    expect(res.status).toBe(403);
    const reader = await signIn(app, { scope: "read:statuses", address: "10.31.0.2" });
    expect((await api(`/v1/accounts/${owner}/statuses`, { token: reader })).status).toBe(200);
  });
});

/** A remote account's note stored as the inbox would store it. */
async function storeRemoteNote(
  author: string,
  slug: string,
  options: { visibility: "public" | "private" | "direct"; to?: string[] },
) {
  const [row] = await db()
    .insert(notes)
    .values({
      id: `${author}/notes/${slug}`,
      attributedTo: author,
      content: `<p>${slug}</p>`,
      visibility: options.visibility,
      published: tick(),
    })
    .returning({ seq: notes.seq });
  for (const recipient of options.to ?? []) {
    await db()
      .insert(noteRecipients)
      .values({ noteSeq: row?.seq ?? 0, recipient, field: "to" });
  }
}

describe("a remote account's statuses", { timeout: 20_000 }, () => {
  it("answers what is stored, asks once for a refresh, and then shows its outbox and pins", async () => {
    const host = "acct-statuses.test";
    const base = `https://${host}/users/rita`;
    const note = (n: number, extra: Record<string, unknown> = {}) => ({
      id: `${base}/statuses/${n}`,
      type: "Note",
      attributedTo: base,
      content: `<p>outbox ${n}</p>`,
      published: new Date(Date.UTC(2026, 0, 10, 0, 0, n)).toISOString(),
      to: [PUBLIC],
      cc: [`${base}/followers`],
      ...extra,
    });
    const rita = await RemoteActor.create({
      host,
      username: "rita",
      extra: {
        featured: `${base}/collections/featured`,
        discoverable: true,
        attachment: [
          {
            type: "PropertyValue",
            name: "Site",
            value: '<a href="https://rita.test">rita.test</a><script>x</script>',
          },
        ],
      },
    });
    await serve(
      {
        url: `${base}/outbox`,
        body: {
          id: `${base}/outbox`,
          type: "OrderedCollection",
          totalItems: 42,
          first: `${base}/outbox?page=true`,
        },
      },
      {
        url: `${base}/outbox?page=true`,
        body: {
          id: `${base}/outbox?page=true`,
          type: "OrderedCollectionPage",
          orderedItems: [
            { id: `${base}/statuses/3/activity`, type: "Create", actor: base, object: note(3) },
            { id: `${base}/statuses/2/activity`, type: "Create", actor: base, object: note(2) },
            // Followers-only: not the owner's to see.
            {
              id: `${base}/statuses/9/activity`,
              type: "Create",
              actor: base,
              object: note(9, { to: [`${base}/followers`], cc: [] }),
            },
            // Someone else's note in this outbox: not kept.
            {
              id: `${base}/statuses/8/activity`,
              type: "Create",
              actor: base,
              object: note(8, { attributedTo: "https://other.test/users/x" }),
            },
            {
              id: `${base}/boosts/1`,
              type: "Announce",
              actor: base,
              object: "https://other.test/notes/1",
            },
          ],
        },
      },
      {
        url: `${base}/collections/featured`,
        body: {
          id: `${base}/collections/featured`,
          type: "OrderedCollection",
          totalItems: 1,
          orderedItems: [note(1)],
        },
      },
      {
        url: `${base}/followers`,
        body: { id: `${base}/followers`, type: "OrderedCollection", totalItems: 7 },
      },
      {
        url: `${base}/following`,
        body: { id: `${base}/following`, type: "OrderedCollection", totalItems: 3 },
      },
    );
    // Known from a signed activity, the way most accounts become known.
    expect((await rita.send(rita.activity("Like", `${OWNER}/statuses/nothing`))).status).toBe(202);
    const [row] = await db().select().from(actors).where(eq(actors.id, base));
    if (row === undefined) throw new Error("rita not stored");
    const id = accountId(row);
    await storeRemoteNote(base, "stored-public", { visibility: "public" });
    await storeRemoteNote(base, "stored-private", { visibility: "private" });
    await storeRemoteNote(base, "stored-to-owner", { visibility: "direct", to: [OWNER] });

    const first = await statuses(`/v1/accounts/${id}/statuses`);
    expect(slugs(first.body)).toEqual(["stored-to-owner", "stored-public"]);
    const refreshed = await eventually(async () => {
      const { body } = await statuses(`/v1/accounts/${id}/statuses`);
      return body.length >= 5 ? body : undefined;
    });
    // Newest first; neither the followers-only note nor another's note in the outbox is kept.
    expect(slugs(refreshed)).toEqual(["3", "2", "1", "stored-to-owner", "stored-public"]);
    expect(refreshed.every((s) => s.account.acct === "rita@acct-statuses.test")).toBe(true);
    expect(slugs((await statuses(`/v1/accounts/${id}/statuses?pinned=true`)).body)).toEqual(["1"]);

    const account = (await (await api(`/v1/accounts/${id}`)).json()) as Record<string, unknown>;
    expect(account).toMatchObject({
      id,
      statuses_count: 42,
      followers_count: 7,
      following_count: 3,
      discoverable: true,
      last_status_at: expect.stringMatching(/^\d{4}-\d\d-\d\d$/),
      fields: [
        { name: "Site", value: expect.stringContaining("rita.test</a>"), verified_at: null },
      ],
    });
    expect(JSON.stringify(account.fields)).not.toContain("script");
    // One refresh however often the account was looked at in the window.
    const outboxGets = (await received(host, "GET")).filter((r) => r.url === `${base}/outbox`);
    expect(outboxGets).toHaveLength(1);
  });
});

describe("a remote account", () => {
  it("shows what D1 knows before any refresh: its notes counted, locked, bot, the missing pictures", async () => {
    const iri = "https://acct-known.test/users/bot";
    const [row] = await db()
      .insert(actors)
      .values({
        id: iri,
        type: "Service",
        preferredUsername: "bot",
        domain: "acct-known.test",
        inbox: `${iri}/inbox`,
        manuallyApprovesFollowers: true,
        fetchedAt: tick(),
        createdAt: tick(),
      })
      .returning();
    if (row === undefined) throw new Error("not stored");
    await storeRemoteNote(iri, "known-1", { visibility: "public" });
    await storeRemoteNote(iri, "known-2", { visibility: "public" });
    const res = await api(`/v1/accounts/${accountId(row)}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      acct: "bot@acct-known.test",
      locked: true,
      bot: true,
      statuses_count: 2,
      followers_count: 0,
      following_count: 0,
      last_status_at: expect.stringMatching(/^\d{4}-\d\d-\d\d$/),
      avatar: "https://outpost.test/avatars/missing.png",
      header: "https://outpost.test/headers/missing.png",
      fields: [],
    });
  });
});

describe("query plans", () => {
  it("reads a page from the author's index, from the cursor on, and their boosts by actor", async () => {
    const plans = await plansOf((db) =>
      accountStatusesPage(db, { author: OWNER, owner: OWNER }, { limit: 20, maxId: 1n << 60n }),
    );
    const [own, boosts] = plans;
    expect(own?.[0]).toMatch(
      /USING INDEX notes_author_published_idx \(attributed_to=\? AND published<\?\)/,
    );
    expect(boosts?.[0]).toMatch(/USING INDEX reactions_actor_idx/);
    expect(plans.flat().join("\n")).not.toMatch(/SCAN (notes|reactions)/);
  });

  it("reads the owner's pins by their own index, not every note of theirs", async () => {
    const plans = await plansOf((db) =>
      accountStatusesPage(db, { author: OWNER, owner: OWNER, pinned: true }, { limit: 20 }),
    );
    const detail = plans.flat().join("\n");
    expect(detail).toMatch(/USING (COVERING )?INDEX notes_pinned_idx/);
    expect(detail).not.toMatch(/notes_author_published_idx|SCAN notes/);
  });
});
