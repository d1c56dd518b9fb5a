/**
 * What the background fetches keep to: a thread's missing note and an account's refresh ask
 * nothing of a blocked domain and store nothing a blocked account wrote; a missing note that
 * cannot be had is not asked for at every look at its thread; looking at an account asks for
 * its refresh without ever failing the request, and marks it asked only once it was; a
 * refresh reads the owner's follow of the account once, not once a note.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { readAccountExtras } from "../src/cache/account-extras";
import { fetchedLately } from "../src/cache/context-fetches";
import type { AppContext } from "../src/context";
import { freshenAccount } from "../src/federation/accounts";
import { refreshAccount } from "../src/federation/queue/fetch-account";
import { fetchObject } from "../src/federation/queue/fetch-object";
import { threadOf } from "../src/federation/threads";
import { accountId } from "../src/mastodon/ids";
import { findActor } from "../src/storage/actors";
import { createDb } from "../src/storage/db";
import { findNote } from "../src/storage/notes";
import { notes } from "../src/storage/schema";
import { api, appContext, db, OWNER, seedFollow, statusIdOf, tick } from "./helpers";
import { AS_CONTEXT, eventually, RemoteActor, received, serve } from "./support/remote";

/** A queue that keeps what it is sent, or refuses it. */
function fakeQueue(options: { fails?: boolean; onSend?: () => Promise<void> } = {}) {
  const sent: unknown[] = [];
  const queue = {
    async sendBatch(messages: Iterable<MessageSendRequest>) {
      await options.onSend?.();
      if (options.fails) throw new Error("queue unavailable");
      sent.push(...[...messages].map((m) => m.body));
    },
  } as unknown as Queue;
  return { queue, sent };
}

/** A remote actor the instance stored (it sent a Like), blocked or not by the owner. */
async function stored(host: string, username: string, blocked = false) {
  const actor = await RemoteActor.create({ host, username });
  expect((await actor.send(actor.like(`${OWNER}/statuses/nothing`))).status).toBe(202);
  const row = await findActor(db(), actor.id);
  if (row === undefined) throw new Error(`${actor.id} is not stored`);
  if (blocked) {
    expect((await api(`/v1/accounts/${accountId(row)}/block`, { method: "POST" })).status).toBe(
      200,
    );
  }
  return { actor, row };
}

/** Stores a note by `author` answering `parent`, as the inbox would; its row. */
async function reply(author: string, parent: string) {
  const [row] = await db()
    .insert(notes)
    .values({
      id: `${author}/notes/${crypto.randomUUID()}`,
      attributedTo: author,
      inReplyTo: parent,
      content: "<p>a reply</p>",
      visibility: "public",
      published: tick(),
    })
    .returning();
  if (row === undefined) throw new Error("not stored");
  return row;
}

const blockDomain = async (domain: string) =>
  expect((await api("/v1/domain_blocks", { body: { domain } })).status).toBe(200);

describe("a thread's missing note", { timeout: 20_000 }, () => {
  it("is not fetched from a blocked domain: no request reaches it", async () => {
    await blockDomain("guard-walled.test");
    const id = "https://guard-walled.test/notes/1";
    await serve({ url: id, body: { "@context": AS_CONTEXT, id, type: "Note" } });
    const message = { v: 1, type: "fetchObject", id, purpose: "context", above: 3 } as const;
    expect(await fetchObject(appContext(), message)).toBe("done");
    expect(await received("guard-walled.test")).toEqual([]);
    expect(await findNote(db(), id)).toBeUndefined();
  });

  it("is not stored when a blocked account wrote it", async () => {
    const { actor } = await stored("guard-open.test", "shunned", true);
    const note = actor.note("<p>parent</p>");
    await serve({ url: note.id, body: { "@context": AS_CONTEXT, ...note } });
    const before = (await received("guard-open.test", "GET")).length;
    const message = { v: 1, type: "fetchObject", id: note.id, purpose: "context" } as const;
    expect(await fetchObject(appContext(), message)).toBe("done");
    expect(await findNote(db(), note.id)).toBeUndefined();
    // The note was asked for (its author could not be known before), and nothing more.
    const gets = (await received("guard-open.test", "GET")).slice(before);
    expect(gets.map((r) => r.url)).toEqual([note.id]);
  });

  it("is asked for once, not at every look at the thread, when it cannot be had", async () => {
    const gone = "https://guard-gone.test/notes/never-there";
    const leaf = await reply("https://guard-gone.test/users/someone", gone);
    const id = await statusIdOf(leaf.id);
    expect((await api(`/v1/statuses/${id}/context`)).status).toBe(200);
    await eventually(async () => (await received("guard-gone.test", "GET")).length > 0);
    // The 404 settled the fetch; looking again asks nothing more.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let i = 0; i < 3; i++) expect((await api(`/v1/statuses/${id}/context`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await received("guard-gone.test", "GET")).toHaveLength(1);
    expect(await fetchedLately(env.ACTOR_CACHE, gone)).toBe(true);
  });

  it("is asked for again at the next look when the queue refused it", async () => {
    const parent = "https://guard-later.test/notes/parent";
    const leaf = await reply("https://guard-later.test/users/someone", parent);
    const refusing = fakeQueue({ fails: true });
    await threadOf({ ...appContext(), queue: refusing.queue }, leaf);
    expect(await fetchedLately(env.ACTOR_CACHE, parent)).toBe(false);
    const working = fakeQueue();
    const ctx = { ...appContext(), queue: working.queue };
    await threadOf(ctx, leaf);
    await threadOf(ctx, leaf);
    expect(working.sent).toEqual([
      { v: 1, type: "fetchObject", id: parent, purpose: "context", above: 39 },
    ]);
  });
});

describe("looking at an account", { timeout: 20_000 }, () => {
  it("never fails for the queue: nothing marked until a refresh was asked for", async () => {
    const { row } = await stored("guard-acct.test", "looked");
    const refusing = fakeQueue({ fails: true });
    await expect(freshenAccount({ ...appContext(), queue: refusing.queue }, row)).resolves.toBe(
      undefined,
    );
    expect(await readAccountExtras(env.ACTOR_CACHE, row.id)).toBeUndefined();
    // Once sent, and only then, the mark is written: the entry is not there while it sends.
    const seenWhileSending: unknown[] = [];
    const working = fakeQueue({
      onSend: async () => {
        seenWhileSending.push(await readAccountExtras(env.ACTOR_CACHE, row.id));
      },
    });
    await freshenAccount({ ...appContext(), queue: working.queue }, row);
    expect(seenWhileSending).toEqual([undefined]);
    expect(working.sent).toEqual([{ v: 1, type: "fetchObject", id: row.id, purpose: "account" }]);
    expect(await readAccountExtras(env.ACTOR_CACHE, row.id)).toMatchObject({ refreshedAt: null });
    // Marked: the next look asks nothing.
    await freshenAccount({ ...appContext(), queue: working.queue }, row);
    expect(working.sent).toHaveLength(1);
  });

  it("asks nothing of a blocked account, or one on a blocked domain, and stores nothing of it", async () => {
    const blocked = await stored("guard-acct.test", "blocked", true);
    const walled = await stored("guard-acct-walled.test", "walled");
    await blockDomain("guard-acct-walled.test");
    const queue = fakeQueue();
    for (const { row } of [blocked, walled]) {
      await freshenAccount({ ...appContext(), queue: queue.queue }, row);
      expect(await readAccountExtras(env.ACTOR_CACHE, row.id)).toBeUndefined();
    }
    expect(queue.sent).toEqual([]);
    // A refresh asked before the block fetches nothing either.
    const gets = async () =>
      (await received("guard-acct.test", "GET")).length +
      (await received("guard-acct-walled.test", "GET")).length;
    const before = await gets();
    for (const { row } of [blocked, walled]) {
      expect(await refreshAccount(appContext(), row.id)).toBe("done");
    }
    expect(await gets()).toBe(before);
    expect(await readAccountExtras(env.ACTOR_CACHE, blocked.row.id)).toBeUndefined();
  });
});

describe("an account's refresh", { timeout: 20_000 }, () => {
  /** The SQL of the statements `run` makes through the context's D1. */
  async function statementsOf(run: (ctx: AppContext) => Promise<unknown>): Promise<string[]> {
    const seen: string[] = [];
    const d1 = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "prepare") {
          return (sql: string) => {
            seen.push(sql);
            return target.prepare(sql);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    await run({ ...appContext(), db: createDb(d1) });
    return seen;
  }

  it("reads the owner's follow of the account once, however many of its notes it reads", async () => {
    const { actor } = await stored("guard-refresh.test", "prolific");
    await seedFollow(actor.id, OWNER);
    const items = Array.from({ length: 6 }, (_, i) => {
      // Followers-only: the owner's to see as a follower.
      const note = actor.note(`<p>for followers ${i}</p>`, {
        to: [`${actor.id}/followers`],
        cc: [],
      });
      return { id: `${note.id}/activity`, type: "Create", actor: actor.id, object: note };
    });
    await serve({
      url: `${actor.id}/outbox`,
      body: {
        "@context": AS_CONTEXT,
        id: `${actor.id}/outbox`,
        type: "OrderedCollection",
        totalItems: items.length,
        orderedItems: items,
      },
    });
    const statements = await statementsOf((ctx) => refreshAccount(ctx, actor.id));
    const followReads = statements.filter((sql) => /^select .* from "follows"/i.test(sql));
    expect(followReads).toHaveLength(1);
    const kept = await db().select().from(notes).where(eq(notes.attributedTo, actor.id));
    expect(kept).toHaveLength(6);
    expect(kept.every((note) => note.visibility === "private")).toBe(true);
  });
});
