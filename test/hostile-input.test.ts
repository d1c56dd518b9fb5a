/**
 * What an attacker on the open internet found (issue: hostile input), one test per finding:
 * each answered 500, stalled the instance, or wrote without bound before its fix. Whatever
 * arrives, the answer is a 2xx or a precise JSON 4xx, and refused input stores nothing.
 */
import { env, exports } from "cloudflare:workers";
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { readKeyOwner } from "../src/cache/actor-cache";
import { actors, inbox, noteRecipients, notes } from "../src/storage/schema";
import { db, request } from "./helpers";
import { counterSum } from "./support/metrics";
import { AS_CONTEXT, ORIGIN, OWNER, RemoteActor, received, serve } from "./support/remote";

const mallory = await RemoteActor.create({ host: "hostile.test", username: "mallory" });

const storedActivity = async (id: string) =>
  (await db().select().from(inbox).where(eq(inbox.id, id))).length;
const storedActor = async (id: string) =>
  (await db().select().from(actors).where(eq(actors.id, id))).length;

async function expectJsonError(res: Response, status: number, pattern: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(((await res.json()) as { error: string }).error).toMatch(pattern);
}

const DEEP = "__deep__";

/**
 * The JSON of `document` with the string `"__deep__"` replaced by `inner` nested `depth`
 * arrays deep: written as text, since `JSON.stringify` itself overflows at that depth.
 */
function withDeepJson(document: unknown, inner: unknown, depth = 20_000): string {
  const deep = `${"[".repeat(depth)}${JSON.stringify(inner)}${"]".repeat(depth)}`;
  return JSON.stringify(document).replace(JSON.stringify(DEEP), deep);
}

function unsigned(body: string): Promise<Response> {
  return exports.default.fetch(`${ORIGIN}/users/owner/inbox`, {
    method: "POST",
    headers: { "content-type": "application/activity+json" },
    body,
  });
}

describe("keys no one could hold", () => {
  it("refuses a 900 kB key document without reading it as a key, and stores nothing of it", async () => {
    const victim = await RemoteActor.create({ host: "bigkey.hostile.test", username: "big" });
    await victim.publish({
      publicKey: {
        id: victim.keyId,
        owner: victim.id,
        publicKeyPem: "-----BEGIN PUBLIC KEY-----\n".repeat(34_000),
      },
    });
    const like = victim.activity("Like", `${OWNER}/statuses/1`);
    await expectJsonError(await victim.send(like), 401, /keyFetchFailed/);
    // The next request pays nothing: the failure is remembered, not the document.
    await expectJsonError(await victim.send(victim.like(`${OWNER}/statuses/2`)), 401, /signature/);
    expect(await received("bigkey.hostile.test", "GET")).toHaveLength(1);
    expect(await storedActor(victim.id)).toBe(0);
    expect(await storedActivity(like.id)).toBe(0);
  });
});

describe("nesting", () => {
  it("answers 400 to an unsigned Delete whose object is nested 20,000 deep", async () => {
    const actor = "https://deep.hostile.test/users/x";
    const activity = {
      "@context": AS_CONTEXT,
      id: "https://deep.hostile.test/activities/1",
      type: "Delete",
      actor,
      object: DEEP,
    };
    await expectJsonError(await unsigned(withDeepJson(activity, actor)), 400, /nested deeper/);
    expect(await storedActivity(activity.id)).toBe(0);
  });

  it.each(["object", "to", "cc", "attributedTo", "inReplyTo"])(
    "answers 400 to a signed activity with %s nested 20,000 deep",
    async (field) => {
      const note = mallory.note("<p>deep</p>", { to: [OWNER] });
      const create =
        field === "object"
          ? mallory.activity("Create", DEEP)
          : mallory.activity("Create", { ...note, [field]: DEEP });
      const body = withDeepJson(create, field === "object" ? note : OWNER);
      await expectJsonError(await mallory.send(body), 400, /nested deeper/);
      expect(await storedActivity(create.id)).toBe(0);
    },
  );
});

describe("markup the sanitiser could not take", () => {
  it("accepts an actor whose summary holds <select><style>, its summary made safe", async () => {
    const odd = await RemoteActor.create({
      host: "markup.hostile.test",
      username: "odd",
      extra: { summary: "<p>hi</p><select><style>x{}</style></select><!doctype a><p>bye" },
    });
    expect((await odd.send(odd.like(`${OWNER}/statuses/1`))).status).toBe(202);
    const [row] = await db().select().from(actors).where(eq(actors.id, odd.id));
    // The parser cannot read this markup: the bio is kept as plain text.
    expect(row?.summary).toMatch(/^<p>hi.*bye<\/p>$/);
    expect(row?.summary).not.toMatch(/<select|<style|<!/);
  });

  it.each([
    ["<select><template><style>", "<p>a</p><select><template><style>b</style></template></select>"],
    ["50,000 nested elements", `${"<b>".repeat(50_000)}deep`],
  ])("stores a note whose content holds %s", async (_, content) => {
    const note = mallory.note(content, { to: [OWNER], tag: [{ type: "Mention", href: OWNER }] });
    expect((await mallory.send(mallory.activity("Create", note))).status).toBe(202);
    const [row] = await db().select().from(notes).where(eq(notes.id, note.id));
    expect(row?.content).not.toMatch(/<select|<template|<style/);
    expect((row?.content.match(/<b>/g) ?? []).length).toBeLessThan(1000);
  });
});

describe("activity types named like Object's own properties", () => {
  it.each(["constructor", "toString", "valueOf", "hasOwnProperty", "__proto__"])(
    "acknowledges a %s activity and does nothing else",
    async (type) => {
      const activity = mallory.activity(type, OWNER);
      expect((await mallory.send(activity)).status).toBe(202);
      expect(await storedActivity(activity.id)).toBe(1);
    },
  );
});

describe("a Create of something that is not a URL", () => {
  it.each(["", "https://", "not a url", "https://a.test:99999/"])(
    "is acknowledged and settled at once for %j, not left pending",
    async (object) => {
      const create = mallory.activity("Create", object);
      expect((await mallory.send(create)).status).toBe(202);
      const [row] = await db().select().from(inbox).where(eq(inbox.id, create.id));
      expect(row?.processedAt).toBeInstanceOf(Date);
    },
  );
});

describe("lists without end", () => {
  it("stores at most 128 addresses of a note's `to`, and counts the rest", async () => {
    const before = await counterSum("activitypub_inbound_ignored_items_total", { list: "to" });
    const to = [OWNER, ...Array.from({ length: 30_000 }, (_, i) => `https://x.test/u/${i}`)];
    const note = mallory.note("<p>to everyone</p>", { to, cc: [] });
    expect((await mallory.send(mallory.activity("Create", note))).status).toBe(202);
    const [row] = await db().select().from(notes).where(eq(notes.id, note.id));
    const [written] = await db()
      .select({ n: count() })
      .from(noteRecipients)
      .where(eq(noteRecipients.noteSeq, row?.seq ?? -1));
    expect(written?.n).toBe(128);
    const after = await counterSum("activitypub_inbound_ignored_items_total", { list: "to" });
    expect(after - before).toBe(30_001 - 128);
  });
});

describe("who a note is for, whatever the cap", () => {
  it("reads the owner and the public collection beyond the 128th address", async () => {
    const crowd = (prefix: string) =>
      Array.from({ length: 15_000 }, (_, i) => `https://y.test/${prefix}${i}`);
    const note = mallory.note("<p>for you, among many</p>", {
      to: [...crowd("a"), OWNER],
      cc: [...crowd("b"), "as:Public"],
    });
    expect((await mallory.send(mallory.activity("Create", note))).status).toBe(202);
    const [row] = await db().select().from(notes).where(eq(notes.id, note.id));
    expect(row?.visibility).toBe("unlisted");
    const recipients = await db()
      .select()
      .from(noteRecipients)
      .where(eq(noteRecipients.noteSeq, row?.seq ?? -1));
    expect(recipients).toHaveLength(2 * 128 + 2);
    expect(recipients.filter((r) => !r.recipient.startsWith("https://y.test/"))).toEqual([
      expect.objectContaining({ field: "to", recipient: OWNER }),
      expect.objectContaining({
        field: "cc",
        recipient: "https://www.w3.org/ns/activitystreams#Public",
      }),
    ]);
  });

  it("reads a mention of the owner beyond the 100th tag", async () => {
    const tags = Array.from({ length: 500 }, (_, i) => ({ type: "Hashtag", name: `#t${i}` }));
    const note = mallory.note("<p>tagged</p>", {
      to: [],
      cc: [],
      tag: [...tags, { type: "Mention", href: OWNER }],
    });
    expect((await mallory.send(mallory.activity("Create", note))).status).toBe(202);
    expect(await db().select().from(notes).where(eq(notes.id, note.id))).toHaveLength(1);
  });
});

describe("nothing kept for an actor before its signature verified", () => {
  it("stores no actor row and no cache entry for a forged signature naming a real key", async () => {
    const named = await RemoteActor.create({ host: "named.hostile.test", username: "named" });
    const forged = named.like(`${OWNER}/statuses/1`);
    const res = await named.send(forged, {
      signWith: { ...mallory.signingKey, keyId: named.keyId },
    });
    await expectJsonError(res, 401, /invalidSignature/);
    expect(await storedActor(named.id)).toBe(0);
    expect((await readKeyOwner(env.ACTOR_CACHE, named.keyId, new Date())).kind).toBe("miss");
    // Forged again at once: the key fetched moments ago answers, its server is not asked.
    const again = await named.send(named.like(`${OWNER}/statuses/2`), {
      signWith: { ...mallory.signingKey, keyId: named.keyId },
    });
    await expectJsonError(again, 401, /invalidSignature/);
    expect(await received("named.hostile.test", "GET")).toHaveLength(1);
    // Its own signature verifies with that key, and only then is the actor stored.
    expect((await named.send(named.like(`${OWNER}/statuses/3`))).status).toBe(202);
    expect(await storedActor(named.id)).toBe(1);
    expect(await received("named.hostile.test", "GET")).toHaveLength(1);
  });

  it("keeps at most 10,000 characters of a verified actor's bio, 200 of its name", async () => {
    const wordy = await RemoteActor.create({
      host: "wordy.hostile.test",
      username: "wordy",
      extra: {
        summary: `<p>${"word ".repeat(100_000)}</p>`,
        name: "n".repeat(50_000),
        preferredUsername: "u".repeat(500),
      },
    });
    expect((await wordy.send(wordy.like(`${OWNER}/statuses/1`))).status).toBe(202);
    const [row] = await db().select().from(actors).where(eq(actors.id, wordy.id));
    expect(row?.summary?.length).toBeLessThanOrEqual(10_100);
    expect(row?.name).toHaveLength(200);
    // A cut username would name someone else, or no one: none is kept.
    expect(row?.preferredUsername).toBeNull();
  });
});

describe("key servers that fail", () => {
  it("remembers a key fetch that failed: the same key is not fetched again", async () => {
    const broken = await RemoteActor.create({ host: "broken.hostile.test", username: "b" });
    await serve({ url: broken.id, status: 500, body: { error: "down" } });
    await expectJsonError(await broken.send(broken.like(`${OWNER}/statuses/1`)), 401, /keyFetch/);
    await expectJsonError(await broken.send(broken.like(`${OWNER}/statuses/2`)), 401, /keyFetch/);
    expect(await received("broken.hostile.test", "GET")).toHaveLength(1);
  });

  it("remembers a key whose server never answered, and only that key", async () => {
    const host = "silent.hostile.test";
    const first = await RemoteActor.create({ host, username: "first" });
    const second = await RemoteActor.create({ host, username: "second" });
    await serve({ url: first.id, body: first.document, delayMs: 8000 });
    await expectJsonError(await first.send(first.like(`${OWNER}/statuses/1`)), 401, /keyFetch/);
    await expectJsonError(await first.send(first.like(`${OWNER}/statuses/2`)), 401, /keyFetch/);
    // Anyone can name a slow URL on a host: that must not lock out the host's real actors.
    expect((await second.send(second.like(`${OWNER}/statuses/1`))).status).toBe(202);
    expect((await received(host, "GET")).map((r) => r.url)).toEqual([first.id, second.id]);
  }, 20_000);

  it("fetches a failing document once, whatever fragment its key ids carry", async () => {
    const fragments = await RemoteActor.create({ host: "frag.hostile.test", username: "f" });
    await serve({ url: fragments.id, status: 503, body: { error: "busy" } });
    for (const fragment of ["k1", "k2", "k3"]) {
      const res = await fragments.send(fragments.like(`${OWNER}/statuses/1`), {
        signWith: { ...fragments.signingKey, keyId: `${fragments.id}#${fragment}` },
      });
      await expectJsonError(res, 401, /keyFetchFailed/);
    }
    expect(await received("frag.hostile.test", "GET")).toHaveLength(1);
  });

  it("cannot be made to refuse an actor's real key by naming a key its document lacks", async () => {
    const victim = await RemoteActor.create({ host: "poison.hostile.test", username: "victim" });
    for (const fragment of ["nope", "nope2"]) {
      const res = await victim.send(victim.like(`${OWNER}/statuses/1`), {
        signWith: { ...mallory.signingKey, keyId: `${victim.id}#${fragment}` },
      });
      await expectJsonError(res, 401, /keyFetchFailed/);
    }
    // Both lacking keys cost one fetch; the real key is still asked for, and verifies.
    expect(await received("poison.hostile.test", "GET")).toHaveLength(1);
    expect((await victim.send(victim.like(`${OWNER}/statuses/2`))).status).toBe(202);
  });

  it("answers 401 to a key id that is not a URL", async () => {
    const res = await mallory.send(mallory.like(`${OWNER}/statuses/1`), {
      signWith: { ...mallory.signingKey, keyId: "main-key" },
    });
    await expectJsonError(res, 401, /keyFetchFailed/);
  });

  it("refuses a key on another host than the actor's without fetching it", async () => {
    const res = await mallory.send(mallory.like(`${OWNER}/statuses/1`), {
      signWith: { ...mallory.signingKey, keyId: "https://elsewhere.hostile.test/slow#key" },
    });
    await expectJsonError(res, 403, /keyOwnerMismatch/);
    expect(await received("elsewhere.hostile.test")).toEqual([]);
  });
});

describe("the owner's API", () => {
  it("answers 413 to a body over 256 kB, however it is sent, and publishes nothing", async () => {
    const status = "x".repeat(300 * 1024);
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(JSON.stringify({ status })));
        controller.close();
      },
    });
    for (const [type, body] of [
      ["application/json", JSON.stringify({ status })],
      ["application/x-www-form-urlencoded", new URLSearchParams({ status }).toString()],
      ["application/json", chunked],
    ] as const) {
      const res = await request("/api/v1/statuses", {
        method: "POST",
        headers: { Authorization: "Bearer test-owner-token", "Content-Type": type },
        body,
      });
      await expectJsonError(res, 413, /256 kB/);
    }
    const [published] = await db()
      .select({ n: count() })
      .from(notes)
      .where(eq(notes.attributedTo, OWNER));
    expect(published?.n).toBe(0);
  });
});

describe("media keys", () => {
  it("answers 400 to a key longer than R2 allows", async () => {
    await expectJsonError(await request(`/media/${"a".repeat(1025)}`), 400, /1024 bytes/);
    await expectJsonError(await request(`/media/${"é".repeat(513)}`), 400, /1024 bytes/);
    expect((await request(`/media/${"a".repeat(1024)}`)).status).toBe(404);
  });
});
