/** The inbox's gate: what it refuses, with which status and why, and that it stores nothing then. */
import { exports } from "cloudflare:workers";
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { actors, follows, inbox } from "../src/storage/schema";
import { ageActor, db } from "./helpers";
import { AS_CONTEXT, ORIGIN, OWNER, RemoteActor, received, serve } from "./support/remote";

const HOST = "sec.test";
const alice = await RemoteActor.create({ host: HOST, username: "alice" });
const mallory = await RemoteActor.create({ host: "evil.test", username: "mallory" });

/** Makes the cached key of an actor look fetched long ago (time passing, in short). */

const stored = async (id: string) =>
  (await db().select().from(inbox).where(eq(inbox.id, id))).length;

function post(body: BodyInit, headers: Record<string, string> = {}) {
  return exports.default.fetch(`${ORIGIN}/users/owner/inbox`, {
    method: "POST",
    headers: { "content-type": "application/activity+json", ...headers },
    body,
  });
}

async function expectError(res: Response, status: number, pattern: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await res.json()) as { error: string };
  expect(body.error).toMatch(pattern);
}

describe("refused before any work", () => {
  it("413 for a body over 1 MB, declared or not", async () => {
    const big = JSON.stringify({ padding: "x".repeat(1024 * 1024) });
    await expectError(await post(big), 413, /1 MB/);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    await expectError(await post(stream), 413, /1 MB/);
  });

  it("415 for a content type that is not ActivityPub's", async () => {
    const activity = alice.activity("Like", `${OWNER}/statuses/1`);
    await expectError(
      await alice.send(activity, { contentType: "text/plain" }),
      415,
      /content type/,
    );
    await expectError(
      await alice.send(activity, { contentType: "application/x-www-form-urlencoded" }),
      415,
      /content type/,
    );
    expect(await stored(activity.id as string)).toBe(0);
  });

  it("400 for a body that is not JSON, or not an object", async () => {
    await expectError(await alice.send("{not json"), 400, /not JSON/);
    await expectError(await alice.send("[1,2]"), 400, /not a JSON object/);
    await expectError(await alice.send('"text"'), 400, /not a JSON object/);
    await expectError(await alice.send(new Uint8Array([0xff, 0xfe, 0x7b])), 400, /not JSON/);
  });

  it.each([
    ["@context", /^@context is required$/],
    ["id", /^id is required$/],
    ["type", /^type is required$/],
    ["actor", /^actor is required$/],
  ])("400 without %s", async (field, pattern) => {
    const activity = alice.activity("Like", `${OWNER}/statuses/1`);
    delete activity[field];
    await expectError(await alice.send(activity), 400, pattern);
  });

  it("400 for an id or actor that is not an http(s) URL", async () => {
    await expectError(
      await alice.send({ ...alice.activity("Like", "x"), id: "urn:uuid:1" }),
      400,
      /^id must be an http\(s\) URL$/,
    );
    await expectError(
      await alice.send({ ...alice.activity("Like", "x"), actor: "javascript:alert(1)" }),
      400,
      /^actor must be an http\(s\) URL$/,
    );
  });
});

describe("signatures", () => {
  it("401 without a signature, and nothing is stored", async () => {
    const activity = alice.activity("Like", `${OWNER}/statuses/1`);
    await expectError(await post(JSON.stringify(activity)), 401, /noSignature/);
    expect(await stored(activity.id as string)).toBe(0);
  });

  it("401 for a signature by another key than the actor's", async () => {
    const activity = alice.activity("Like", `${OWNER}/statuses/1`);
    const res = await alice.send(activity, {
      signWith: { ...mallory.signingKey, keyId: alice.keyId },
    });
    await expectError(res, 401, /invalidSignature/);
    expect(await stored(activity.id as string)).toBe(0);
  });

  it("401 for an expired signature, then 202 once signed afresh", async () => {
    const activity = alice.activity("Like", `${OWNER}/statuses/1`);
    await expectError(
      await alice.send(activity, { now: Date.now() - 2 * 3600_000 }),
      401,
      /expired/,
    );
    expect(await stored(activity.id as string)).toBe(0);
    expect((await alice.send(activity)).status).toBe(202);
  });

  it("401 when the key cannot be fetched", async () => {
    const ghost = {
      ...alice.activity("Like", `${OWNER}/statuses/1`),
      actor: "https://nowhere.test/users/ghost",
      id: "https://nowhere.test/activities/1",
    };
    const res = await alice.send(ghost, {
      signWith: { ...alice.signingKey, keyId: "https://nowhere.test/users/ghost#main-key" },
    });
    await expectError(res, 401, /keyFetchFailed|keyGone/);
  });

  it("403 when the key's owner is not the activity's actor", async () => {
    // Mallory signs, correctly, with her own key, an activity in Alice's name.
    const forged = {
      ...alice.activity("Follow", OWNER),
      id: "https://evil.test/activities/forged",
    };
    await expectError(await mallory.send(forged), 403, /keyOwnerMismatch/);
    const sameHost = alice.activity("Follow", OWNER);
    await expectError(
      await mallory.send({ ...sameHost, actor: alice.id }),
      403,
      /keyOwnerMismatch/,
    );
    expect(await stored(sameHost.id as string)).toBe(0);
    const [row] = await db()
      .select({ n: count() })
      .from(follows)
      .where(eq(follows.follower, alice.id));
    expect(row?.n).toBe(0);
  });

  it("403 when the activity's id is not on its actor's host", async () => {
    const activity = {
      ...alice.activity("Like", `${OWNER}/statuses/1`),
      id: "https://elsewhere.test/a/1",
    };
    await expectError(await alice.send(activity), 403, /host/);
  });

  it.each(["cavage", "rfc9421"] as const)(
    "accepts a %s signature at both inboxes",
    async (flavour) => {
      for (const path of ["/users/owner/inbox", "/inbox"]) {
        const activity = alice.activity("Like", `${OWNER}/statuses/1`);
        const res = await alice.send(activity, { flavour, path });
        expect(res.status).toBe(202);
        expect(await stored(activity.id as string)).toBe(1);
      }
    },
  );

  it("accepts GoToSocial's key path (<actor>/main-key)", async () => {
    const gts = await RemoteActor.create({ host: "gts.sec.test", keyStyle: "path" });
    const res = await gts.send(gts.activity("Like", `${OWNER}/statuses/1`));
    expect(res.status).toBe(202);
  });

  it("refetches a rotated key exactly once, then accepts; a wrong key stays refused", async () => {
    const bob = await RemoteActor.create({ host: "rotate.sec.test", username: "bob" });
    expect((await bob.send(bob.activity("Like", `${OWNER}/statuses/1`))).status).toBe(202);
    const fetchesBefore = (await received("rotate.sec.test", "GET")).length;
    await ageActor(bob.id);
    await bob.rotateKey();
    expect((await bob.send(bob.activity("Like", `${OWNER}/statuses/2`))).status).toBe(202);
    const fetchesAfter = (await received("rotate.sec.test", "GET")).length;
    expect(fetchesAfter - fetchesBefore).toBe(1);
    // A forged signature against a key fetched moments ago is refused without a refetch;
    // against an older key, it costs exactly one.
    const forged = bob.activity("Like", `${OWNER}/statuses/3`);
    const res = await bob.send(forged, { signWith: { ...mallory.signingKey, keyId: bob.keyId } });
    await expectError(res, 401, /invalidSignature/);
    expect((await received("rotate.sec.test", "GET")).length).toBe(fetchesAfter);
    await ageActor(bob.id);
    const again = await bob.send(forged, { signWith: { ...mallory.signingKey, keyId: bob.keyId } });
    await expectError(again, 401, /invalidSignature/);
    expect((await received("rotate.sec.test", "GET")).length - fetchesAfter).toBe(1);
  });

  it("does not accept a key the actor's own document does not list", async () => {
    // A key document claiming an owner whose actor document lists another key.
    const eve = await RemoteActor.create({ host: "keys.sec.test", username: "eve" });
    const fakeKeyId = "https://keys.sec.test/keys/fake";
    await serve({
      url: fakeKeyId,
      body: {
        id: fakeKeyId,
        type: "CryptographicKey",
        owner: eve.id,
        publicKeyPem: mallory.publicKeyPem,
      },
    });
    const res = await eve.send(eve.activity("Like", `${OWNER}/statuses/1`), {
      signWith: { ...mallory.signingKey, keyId: fakeKeyId },
    });
    await expectError(res, 401, /keyFetchFailed/);
  });
});

describe("repeated activities", () => {
  it("are answered 202 and change nothing", async () => {
    const activity = alice.activity("Follow", OWNER);
    expect((await alice.send(activity)).status).toBe(202);
    expect((await alice.send(activity)).status).toBe(202);
    expect((await alice.send(activity, { flavour: "rfc9421" })).status).toBe(202);
    expect(await stored(activity.id as string)).toBe(1);
    const edges = await db().select().from(follows).where(eq(follows.follower, alice.id));
    expect(edges).toHaveLength(1);
  });
});

describe("Delete of an actor", () => {
  it("is acknowledged at once, with no request at all, when we never knew the actor", async () => {
    const host = "gone.sec.test";
    const activity = {
      "@context": AS_CONTEXT,
      id: `https://${host}/users/zed#delete`,
      type: "Delete",
      actor: `https://${host}/users/zed`,
      object: `https://${host}/users/zed`,
      to: ["https://www.w3.org/ns/activitystreams#Public"],
    };
    // Signed by a key that no longer exists anywhere: it must not even be looked up.
    const res = await alice.send(activity, {
      signWith: { ...alice.signingKey, keyId: `https://${host}/users/zed#main-key` },
    });
    expect(res.status).toBe(202);
    expect(await received(host)).toEqual([]);
    expect(await stored(activity.id)).toBe(0);
  });

  it("removes a known actor whose key now answers 410, and its follows", async () => {
    const carol = await RemoteActor.create({ host: "gone2.sec.test", username: "carol" });
    expect((await carol.send(carol.activity("Follow", OWNER))).status).toBe(202);
    expect(await db().select().from(follows).where(eq(follows.follower, carol.id))).toHaveLength(1);
    // Some time later Carol's server deletes her: her documents answer 410 Gone, and her
    // Delete is signed with a key we can no longer fetch (here: a rotated one).
    await ageActor(carol.id);
    await carol.rotateKey();
    await serve({ url: carol.id, status: 410, body: { error: "gone" } });
    const res = await carol.send(carol.activity("Delete", carol.id));
    expect(res.status).toBe(202);
    expect(await db().select().from(follows).where(eq(follows.follower, carol.id))).toEqual([]);
    expect(await db().select().from(actors).where(eq(actors.id, carol.id))).toEqual([]);
  });
});

describe("a forged Delete of a known actor", () => {
  it("is refused when the gone key is not the actor's own", async () => {
    const victim = await RemoteActor.create({ host: "known.sec.test", username: "victim" });
    await victim.send(victim.activity("Follow", OWNER));
    // A gone key on the victim's host that is not the victim's own proves nothing.
    const goneKey = "https://known.sec.test/gone#k";
    await serve({ url: "https://known.sec.test/gone", status: 410, body: {} });
    const res = await victim.send(victim.activity("Delete", victim.id), {
      signWith: { ...mallory.signingKey, keyId: goneKey },
    });
    await expectError(res, 401, /keyGone/);
    // One on another host cannot be the victim's at all, and is not even fetched.
    const elsewhere = await victim.send(victim.activity("Delete", victim.id), {
      signWith: { ...mallory.signingKey, keyId: "https://attacker.sec.test/gone#k" },
    });
    await expectError(elsewhere, 403, /keyOwnerMismatch/);
    expect(await received("attacker.sec.test")).toEqual([]);
    expect(await db().select().from(actors).where(eq(actors.id, victim.id))).toHaveLength(1);
    expect(await db().select().from(follows).where(eq(follows.follower, victim.id))).toHaveLength(
      1,
    );
  });

  it("is refused when the actor's key is gone but the actor itself is not", async () => {
    const victim = await RemoteActor.create({
      host: "known2.sec.test",
      username: "victim",
      keyStyle: "path",
    });
    await victim.send(victim.activity("Follow", OWNER));
    await ageActor(victim.id);
    await serve({ url: victim.keyId, status: 404, body: {} });
    const res = await victim.send(victim.activity("Delete", victim.id), {
      signWith: { ...mallory.signingKey, keyId: victim.keyId },
    });
    expect(res.status).toBe(401);
    expect(await db().select().from(actors).where(eq(actors.id, victim.id))).toHaveLength(1);
  });
});

describe("rate limiting", () => {
  it("answers 429 with Retry-After once a client address passes its limit, before any work", {
    timeout: 60_000,
  }, async () => {
    let limited: Response | undefined;
    let sent = 0;
    // Limits count per fixed window: sending twice the limit crosses at most one boundary.
    for (; sent < 2500 && limited === undefined; sent++) {
      const res = await post("{}", { "cf-connecting-ip": "203.0.113.77" });
      if (res.status === 429) limited = res;
      else await res.body?.cancel();
    }
    expect(sent).toBeGreaterThan(1000);
    expect(limited?.headers.get("Retry-After")).toBe("60");
    expect(await limited?.json()).toEqual({ error: expect.stringMatching(/too many/) });
    // Another address is not affected.
    expect((await post("{}", { "cf-connecting-ip": "203.0.113.78" })).status).toBe(400);
  });

  it("limits each verified sending host, and stores nothing over the limit", {
    timeout: 60_000,
  }, async () => {
    const busy = await RemoteActor.create({ host: "busy.sec.test", username: "busy" });
    let status = 202;
    let sent = 0;
    // Twice the limit (400 in tests), in case a window boundary falls in the middle.
    for (; sent < 850 && status === 202; sent++) {
      status = (await busy.send(busy.activity("Like", "https://busy.sec.test/notes/1"))).status;
    }
    expect(status).toBe(429);
    expect(sent).toBeGreaterThan(300);
    const activity = busy.activity("Follow", OWNER);
    expect((await busy.send(activity)).status).toBe(429);
    expect(await stored(activity.id as string)).toBe(0);
    // Other hosts are not affected.
    expect((await alice.send(alice.activity("Like", `${OWNER}/statuses/9`))).status).toBe(202);
  });

  it("does not let junk claiming a host's key spend that host's budget", {
    timeout: 60_000,
  }, async () => {
    const victim = await RemoteActor.create({ host: "victim.sec.test", username: "victim" });
    for (let i = 0; i < 450; i++) {
      const res = await post("{}", {
        signature: `keyId="${victim.keyId}",signature="x"`,
        "cf-connecting-ip": "203.0.113.90",
      });
      await res.body?.cancel();
    }
    expect((await victim.send(victim.activity("Like", `${OWNER}/statuses/9`))).status).toBe(202);
  });
});
