/**
 * A status's own pages: any stored status the owner may see (and none they may not), its
 * context (ancestors root first, descendants depth-first with self-replies brought forward,
 * a missing ancestor fetched through the queue), its edit history (the owner's edits and a
 * remote author's `Update`), and the source of the owner's own.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { noteId } from "../src/mastodon/ids";
import {
  actors,
  blocks,
  domainBlocks,
  mutes,
  noteRecipients,
  notes,
  noteTags,
  type Visibility,
} from "../src/storage/schema";
import { ancestorsQuery, descendantsQuery } from "../src/storage/threads";
import { api, db, OWNER, plansOf, seedFollow, statusIdOf, tick } from "./helpers";
import { AS_CONTEXT, eventually, RemoteActor, received, serve } from "./support/remote";

const ALICE = "https://thr-alice.test/users/alice";
const BOB = "https://thr-bob.test/users/bob";
const CAROL = "https://thr-carol.test/users/carol";
// The owner follows alice (her followers-only notes are theirs to see), not bob or carol.
await seedFollow(ALICE, OWNER);

let n = 0;
interface Stored {
  readonly id: string;
  readonly author?: string;
  readonly inReplyTo?: string;
  readonly visibility?: Visibility;
  /** Addressed to (besides the public or the followers its visibility implies). */
  readonly to?: readonly string[];
  readonly mentions?: readonly string[];
  readonly deleted?: boolean;
}

/** Stores a note as the inbox would, and answers its status id. */
async function store(note: Stored): Promise<string> {
  const published = tick();
  const [row] = await db()
    .insert(notes)
    .values({
      id: note.id,
      attributedTo: note.author ?? ALICE,
      inReplyTo: note.inReplyTo ?? null,
      content: `<p>${note.id.split("/").pop()}</p>`,
      visibility: note.visibility ?? "public",
      published,
      deletedAt: note.deleted ? tick() : null,
    })
    .returning();
  if (row === undefined) throw new Error("not stored");
  for (const recipient of note.to ?? []) {
    await db().insert(noteRecipients).values({ noteSeq: row.seq, recipient, field: "to" });
  }
  for (const href of note.mentions ?? []) {
    await db()
      .insert(noteTags)
      .values({ noteSeq: row.seq, type: "Mention", name: `m${++n}@x.test`, href });
  }
  return noteId(row);
}

const uris = (statuses: { uri: string }[]) => statuses.map((s) => s.uri.split("/").pop());

async function context(id: string) {
  const res = await api(`/v1/statuses/${id}/context`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { ancestors: { uri: string }[]; descendants: { uri: string }[] };
}

describe("a status by id", () => {
  it("answers any stored status the owner may see, another's too, and 404 for the rest", async () => {
    const cases: [Stored, number][] = [
      [{ id: "https://thr-alice.test/notes/pub", visibility: "public" }, 200],
      [{ id: "https://thr-alice.test/notes/followers", visibility: "private" }, 200],
      [{ id: "https://thr-carol.test/notes/followers", author: CAROL, visibility: "private" }, 404],
      [
        {
          id: "https://thr-carol.test/notes/to-owner",
          author: CAROL,
          visibility: "direct",
          to: [OWNER],
        },
        200,
      ],
      [
        {
          id: "https://thr-bob.test/notes/mention",
          author: BOB,
          visibility: "direct",
          mentions: [OWNER],
        },
        200,
      ],
      [{ id: "https://thr-alice.test/notes/dm-other", visibility: "direct", to: [BOB] }, 404],
      [{ id: "https://thr-alice.test/notes/gone", deleted: true }, 404],
    ];
    for (const [note, status] of cases) {
      const id = await store(note);
      const res = await api(`/v1/statuses/${id}`);
      expect(res.status, note.id).toBe(status);
      if (status === 200) expect(await res.json()).toMatchObject({ id, uri: note.id });
      // What it cannot see has no context, history or source either.
      if (status === 404) {
        for (const page of ["context", "history", "source"]) {
          expect((await api(`/v1/statuses/${id}/${page}`)).status, `${note.id} ${page}`).toBe(404);
        }
      }
    }
    for (const id of ["999999", "abc", "1".repeat(25)]) {
      expect((await api(`/v1/statuses/${id}`)).status).toBe(404);
      expect((await api(`/v1/statuses/${id}/context`)).status).toBe(404);
    }
  });
});

describe("context", () => {
  // root (alice) ── a (owner) ── a1 (alice)
  //              ├─ b (bob) ── b1 (bob: a self-reply)
  //              ├─ d (carol, a DM to bob: hidden) ── e (carol, public: shown)
  //              ├─ f (alice, deleted)
  //              └─ c (alice: a self-reply to her root)
  const T = "https://thr-alice.test/thread";
  type Ids = Record<"root" | "a" | "b" | "b1" | "a1" | "d" | "e" | "f" | "c", string>;
  let ids: Ids;
  beforeAll(async () => {
    ids = {
      root: await store({ id: `${T}/root` }),
      a: await store({ id: `${OWNER}/statuses/thr-a`, author: OWNER, inReplyTo: `${T}/root` }),
      b: await store({ id: `${T}/b`, author: BOB, inReplyTo: `${T}/root` }),
      b1: await store({ id: `${T}/b1`, author: BOB, inReplyTo: `${T}/b` }),
      a1: await store({ id: `${T}/a1`, inReplyTo: `${OWNER}/statuses/thr-a` }),
      d: await store({
        id: `${T}/d`,
        author: CAROL,
        inReplyTo: `${T}/root`,
        visibility: "direct",
        to: [BOB],
      }),
      e: await store({ id: `${T}/e`, author: CAROL, inReplyTo: `${T}/d` }),
      f: await store({ id: `${T}/f`, inReplyTo: `${T}/root`, deleted: true }),
      c: await store({ id: `${T}/c`, inReplyTo: `${T}/root` }),
    };
  });

  it("lists the replies depth-first, oldest first, self-replies first, only what the owner may see", async () => {
    const { ancestors, descendants } = await context(ids.root);
    expect(ancestors).toEqual([]);
    // Depth-first: a, a1, b, b1, e (d hidden, f deleted), c; then b1, e and c, which answer
    // their own author (e its hidden parent's), come first, as Mastodon brings them.
    expect(uris(descendants)).toEqual(["b1", "e", "c", "thr-a", "a1", "b"]);
  });

  it("lists the ancestors from the root down, walking through the hidden ones", async () => {
    expect(uris((await context(ids.a1)).ancestors)).toEqual(["root", "thr-a"]);
    const below = await context(ids.e);
    expect(uris(below.ancestors)).toEqual(["root"]);
    expect(below.descendants).toEqual([]);
    const middle = await context(ids.b);
    expect(uris(middle.ancestors)).toEqual(["root"]);
    expect(uris(middle.descendants)).toEqual(["b1"]);
  });

  it("answers the statuses whole, as a status is answered", async () => {
    const { descendants } = await context(ids.root);
    const single = await (await api(`/v1/statuses/${ids.b1}`)).json();
    expect(descendants[0]).toEqual(single);
  });

  it("bounds it as Mastodon does: 40 ancestors, 60 descendants in their order, 20 levels", async () => {
    const B = "https://thr-alice.test/bounds";
    const chain: string[] = [];
    for (let i = 0; i < 45; i++) {
      const inReplyTo = i === 0 ? undefined : `${B}/chain${i - 1}`;
      chain.push(await store({ id: `${B}/chain${i}`, inReplyTo }));
    }
    const named = (from: number, count: number, prefix: string) =>
      Array.from({ length: count }, (_, i) => `${prefix}${from + i}`);
    // The 40 nearest, root-most first.
    expect(uris((await context(chain[44] ?? "")).ancestors)).toEqual(named(4, 40, "chain"));
    // 20 levels down.
    expect(uris((await context(chain[0] ?? "")).descendants)).toEqual(named(1, 20, "chain"));
    // A wide thread: the first 60 in depth-first order are x and its 59 oldest replies; the
    // walk stops there, before y (a breadth-first walk would have taken y second).
    const wide = await store({ id: `${B}/wide` });
    await store({ id: `${B}/x`, inReplyTo: `${B}/wide` });
    for (let i = 0; i < 65; i++)
      await store({ id: `${B}/x${i}`, author: BOB, inReplyTo: `${B}/x` });
    await store({ id: `${B}/y`, author: BOB, inReplyTo: `${B}/wide` });
    expect(uris((await context(wide)).descendants)).toEqual(["x", ...named(0, 59, "x")]);
  });

  it("answers a boost's context empty, as Mastodon answers a reblog's", async () => {
    const res = await api(`/v1/statuses/${ids.root}/reblog`, { method: "POST" });
    const boost = (await res.json()) as { id: string };
    expect(await context(boost.id)).toEqual({ ancestors: [], descendants: [] });
  });

  it("walks each query by its index", async () => {
    const viewer = { owner: OWNER, now: new Date() };
    const plans = await plansOf(async (d) => {
      await ancestorsQuery(d, { ...viewer, inReplyTo: `${T}/b` });
      await descendantsQuery(d, { ...viewer, id: `${T}/root` });
    });
    const [up, down] = plans.map((p) => p.join("\n"));
    expect(up).toMatch(/notes USING INDEX notes_id_unique/);
    expect(down).toMatch(/notes USING INDEX notes_in_reply_to_idx/);
    for (const plan of [up, down]) expect(plan).not.toMatch(/SCAN notes\b(?! USING)/);
  });
});

describe("what the owner keeps away", () => {
  // top (blocked) ── mid (alice) ── leaf (alice)
  //                             ├─ by the blocked, the muted, one on a blocked domain (hidden)
  //                             └─ by one whose mute has ended, and by bob (shown)
  const K = "https://thr-alice.test/kept";
  const BLOCKED = "https://thr-blocked.test/users/b";
  const MUTED = "https://thr-muted.test/users/m";
  const ENDED = "https://thr-ended.test/users/e";
  const FAR = "https://thr-far.test/users/f";
  let ids: Record<"top" | "mid" | "leaf", string>;
  beforeAll(async () => {
    const at = new Date();
    await db()
      .insert(blocks)
      .values({ actor: BLOCKED, activityId: `${OWNER}#b`, createdAt: at });
    await db()
      .insert(mutes)
      .values([
        { actor: MUTED, notifications: false, expiresAt: null, createdAt: at },
        { actor: ENDED, expiresAt: new Date(at.getTime() - 60_000), createdAt: at },
      ]);
    await db()
      .insert(actors)
      .values({
        id: FAR,
        type: "Person",
        preferredUsername: "f",
        domain: "thr-far.test",
        inbox: `${FAR}/inbox`,
        fetchedAt: at,
        createdAt: at,
      });
    await db().insert(domainBlocks).values({ domain: "thr-far.test", createdAt: at });
    ids = {
      top: await store({ id: `${K}/top`, author: BLOCKED }),
      mid: await store({ id: `${K}/mid`, inReplyTo: `${K}/top` }),
      leaf: await store({ id: `${K}/leaf`, inReplyTo: `${K}/mid` }),
    };
    for (const [name, author] of [
      ["blocked", BLOCKED],
      ["muted", MUTED],
      ["far", FAR],
      ["ended", ENDED],
      ["bob", BOB],
    ] as const) {
      await store({ id: `${K}/${name}`, author, inReplyTo: `${K}/mid` });
    }
  });

  it("leaves blocked, muted and domain-blocked accounts out of a context, as Mastodon does", async () => {
    const { ancestors, descendants } = await context(ids.mid);
    expect(uris(ancestors)).toEqual([]);
    expect(uris(descendants)).toEqual(["leaf", "ended", "bob"]);
    // The chain is walked through the hidden note.
    expect(uris((await context(ids.leaf)).ancestors)).toEqual(["mid"]);
  });

  it("still answers such a status by its id, as Mastodon's StatusPolicy does", async () => {
    expect((await api(`/v1/statuses/${ids.top}`)).status).toBe(200);
  });
});

describe("a missing ancestor", { timeout: 20_000 }, () => {
  it("is fetched through the queue, and the chain above it too; the context then shows them", async () => {
    const dan = await RemoteActor.create({ host: "thr-dan.test", username: "dan" });
    const top = dan.note("<p>top</p>");
    const middle = dan.note("<p>middle</p>", { inReplyTo: top.id });
    for (const note of [top, middle]) {
      await serve({ url: note.id, body: { "@context": AS_CONTEXT, ...note } });
    }
    const leaf = await store({
      id: "https://thr-dan.test/notes/leaf",
      author: dan.id,
      inReplyTo: middle.id,
    });
    // Not stored yet: the context answers at once, with what it has.
    expect((await context(leaf)).ancestors).toEqual([]);
    await eventually(async () =>
      (await received("thr-dan.test", "GET")).some((r) => r.url === middle.id),
    );
    const ancestors = await eventually(async () => {
      const found = (await context(leaf)).ancestors;
      return found.length === 2 ? found : undefined;
    }, 15_000);
    expect(ancestors.map((s) => s.uri)).toEqual([top.id, middle.id]);
    // Once stored, nothing more is fetched (what was queued meanwhile has settled).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const fetches = await received("thr-dan.test", "GET");
    await context(leaf);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await received("thr-dan.test", "GET")).toHaveLength(fetches.length);
  });
});

describe("history", { timeout: 20_000 }, () => {
  it("lists the owner's versions oldest first, the current one last", async () => {
    const posted = (await (await api("/v1/statuses", { body: { status: "first" } })).json()) as {
      id: string;
    };
    const one = (await (await api(`/v1/statuses/${posted.id}/history`)).json()) as unknown[];
    expect(one).toEqual([expect.objectContaining({ content: "<p>first</p>", spoiler_text: "" })]);
    for (const [status, spoiler_text] of [
      ["second", "cw"],
      ["third", undefined],
    ] as const) {
      const res = await api(`/v1/statuses/${posted.id}`, {
        method: "PUT",
        body: { status, spoiler_text },
      });
      expect(res.status).toBe(200);
    }
    const history = (await (await api(`/v1/statuses/${posted.id}/history`)).json()) as {
      content: string;
      spoiler_text: string;
      sensitive: boolean;
      created_at: string;
      account: { acct: string };
      media_attachments: unknown[];
      emojis: unknown[];
    }[];
    expect(history.map((v) => [v.content, v.spoiler_text, v.sensitive])).toEqual([
      ["<p>first</p>", "", false],
      ["<p>second</p>", "cw", true],
      ["<p>third</p>", "", false],
    ]);
    const times = history.map((v) => Date.parse(v.created_at));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(history[0]).toMatchObject({
      account: { acct: "owner" },
      media_attachments: [],
      emojis: [],
    });
    const status = (await (await api(`/v1/statuses/${posted.id}`)).json()) as { edited_at: string };
    expect(history.at(-1)?.created_at).toBe(status.edited_at);
  });

  it("keeps a remote note's version when its author's Update changes it, once", async () => {
    const eve = await RemoteActor.create({ host: "thr-eve.test", username: "eve" });
    const note = eve.note("<p>before</p>", {
      tag: [{ type: "Mention", href: OWNER, name: "@owner" }],
    });
    expect((await eve.send(eve.activity("Create", note))).status).toBe(202);
    const id = await statusIdOf(note.id);
    const edited = { ...note, content: "<p>after</p>", updated: new Date().toISOString() };
    expect((await eve.send(eve.activity("Update", edited))).status).toBe(202);
    // The same edit again (another activity id): nothing changed, nothing kept.
    expect((await eve.send(eve.activity("Update", edited))).status).toBe(202);
    const history = (await (await api(`/v1/statuses/${id}/history`)).json()) as {
      content: string;
      account: { acct: string };
    }[];
    expect(history.map((v) => v.content)).toEqual(["<p>before</p>", "<p>after</p>"]);
    expect(history[0]?.account.acct).toBe("eve@thr-eve.test");
  });
});

describe("source", { timeout: 20_000 }, () => {
  it("gives back what the owner wrote, mentions, hashtags and links as written", async () => {
    const fay = await RemoteActor.create({ host: "thr-fay.test", username: "fay" });
    await fay.serveWebFinger();
    const text = "Hi @fay@thr-fay.test!\nSee https://example.test/a?b=1&c=2 #Threads\n\n<not html>";
    const posted = (await (
      await api("/v1/statuses", { body: { status: text, spoiler_text: "careful" } })
    ).json()) as { id: string; content: string };
    expect(posted.content).toContain("mention");
    const res = await api(`/v1/statuses/${posted.id}/source`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: posted.id, text, spoiler_text: "careful" });
  });

  it("is the owner's alone: another's status has none (404)", async () => {
    const theirs = await store({ id: "https://thr-alice.test/notes/not-mine" });
    expect((await api(`/v1/statuses/${theirs}/source`)).status).toBe(404);
    expect((await api("/v1/statuses/999999/source")).status).toBe(404);
  });
});
