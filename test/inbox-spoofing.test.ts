/**
 * What one remote server must not be able to do to another's actors and notes, or to us;
 * inputs that once caused a 500; and accepted work that must not be lost.
 */
import { exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { signWith } from "../src/signatures/algorithms";
import { cavageSigningString, serializeCavageSignature } from "../src/signatures/cavage";
import { toBase64 } from "../src/signatures/keys";
import { signMessage } from "../src/signatures/sign";
import { follows, inbox, notes, outbox, reactions } from "../src/storage/schema";
import { AP, db, get, runCron, seedNote } from "./helpers";
import { eventually, ORIGIN, OWNER, RemoteActor, received, serve } from "./support/remote";

const attacker = await RemoteActor.create({ host: "attacker.spoof.test", username: "mallory" });
const victim = await RemoteActor.create({ host: "victim.spoof.test", username: "victim" });
const mention = { type: "Mention", href: OWNER, name: "@owner@outpost.test" };
const noteById = async (id: string) => (await db().select().from(notes).where(eq(notes.id, id)))[0];

describe("notes under someone else's ids", () => {
  it("are not stored, neither another host's id nor one of ours", async () => {
    const foreign = {
      ...attacker.note("<p>x</p>", { tag: [mention] }),
      id: "https://victim.spoof.test/notes/1",
    };
    const ours = { ...attacker.note("<p>x</p>", { tag: [mention] }), id: `${OWNER}/statuses/4242` };
    for (const note of [foreign, ours]) {
      expect((await attacker.send(attacker.activity("Create", note))).status).toBe(202);
      expect(await noteById(note.id)).toBeUndefined();
    }
    expect((await get(`${OWNER}/statuses/4242`, AP)).status).toBe(404);
    // The real author's note with that id is stored as usual.
    const real = {
      ...victim.note("<p>mine</p>", { tag: [mention] }),
      id: "https://victim.spoof.test/notes/1",
    };
    await victim.send(victim.activity("Create", real));
    expect(await noteById(real.id)).toMatchObject({ attributedTo: victim.id });
  });

  it("cannot be served under the owner's paths even when stored", async () => {
    await db()
      .insert(notes)
      .values({
        id: `${OWNER}/statuses/777`,
        attributedTo: attacker.id,
        content: "<p>planted</p>",
        visibility: "public",
        published: new Date(),
      });
    expect((await get(`${OWNER}/statuses/777`, AP)).status).toBe(404);
  });

  it("activities claiming to be from this instance are refused", async () => {
    const fake = {
      ...attacker.activity("Follow", OWNER),
      actor: OWNER,
      id: `${ORIGIN}/activities/1`,
    };
    expect((await attacker.send(fake)).status).toBe(403);
  });
});

describe("keys claimed by another server", () => {
  it("are not taken: the victim's activities still verify as the victim's", async () => {
    await victim.send(victim.activity("Follow", OWNER));
    await attacker.send(attacker.activity("Follow", OWNER));
    const claim = {
      ...attacker.document,
      publicKey: { id: victim.keyId, owner: attacker.id, publicKeyPem: victim.publicKeyPem },
    };
    expect((await attacker.send(attacker.activity("Update", claim))).status).toBe(202);
    expect((await victim.send(victim.activity("Like", `${OWNER}/statuses/1`))).status).toBe(202);
  });
});

describe("digests the signature does not cover", () => {
  it("do not vouch for a body", async () => {
    const body = new TextEncoder().encode(
      JSON.stringify(victim.activity("Like", `${OWNER}/statuses/1`)),
    );
    const url = new URL(`${ORIGIN}/users/owner/inbox`);
    const headers = new Headers({
      "content-type": "application/activity+json",
      date: new Date().toUTCString(),
      host: url.host,
      // The signature covers a Digest of an algorithm nobody checks...
      digest: "MD5=AAAAAAAAAAAAAAAAAAAAAA==",
    });
    const covered = ["(request-target)", "host", "date", "digest"];
    const text = cavageSigningString(
      { method: "POST", url, headers },
      { headers: covered, created: undefined, expires: undefined },
    );
    const signature = toBase64(
      await signWith(
        "rsa-v1_5-sha256",
        victim.signingKey.privateKey,
        new TextEncoder().encode(text ?? ""),
      ),
    );
    headers.set(
      "signature",
      serializeCavageSignature({
        keyId: victim.keyId,
        algorithm: "rsa-sha256",
        headers: covered,
        signature,
      }),
    );
    // ...and an uncovered Content-Digest matches the (swapped) body.
    const digest = toBase64(await crypto.subtle.digest("SHA-256", body));
    headers.set("content-digest", `sha-256=:${digest}:`);
    const res = await exports.default.fetch(url, { method: "POST", headers, body });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: expect.stringMatching(/unsupportedAlgorithm|digest/),
    });
  });
});

describe("odd input answers 401, not 500", () => {
  it("a key document without an owner and with an id that is not a URL", async () => {
    const keyId = "https://odd.spoof.test/k#x";
    await serve({
      url: "https://odd.spoof.test/k",
      body: { id: "nope", publicKey: { id: keyId, publicKeyPem: victim.publicKeyPem } },
    });
    const a = {
      ...victim.activity("Like", `${OWNER}/statuses/1`),
      actor: "https://odd.spoof.test/users/a",
      id: "https://odd.spoof.test/a/1",
    };
    expect((await victim.send(a, { signWith: { ...victim.signingKey, keyId } })).status).toBe(401);
  });

  it("a key URL that redirects to an unparsable Location", async () => {
    await serve({
      url: "https://odd.spoof.test/r",
      status: 302,
      headers: { location: "https://[" },
    });
    const a = {
      ...victim.activity("Like", `${OWNER}/statuses/1`),
      actor: "https://odd.spoof.test/users/b",
      id: "https://odd.spoof.test/a/2",
    };
    expect(
      (
        await victim.send(a, {
          signWith: { ...victim.signingKey, keyId: "https://odd.spoof.test/r#x" },
        })
      ).status,
    ).toBe(401);
  });

  it("an RFC 9421 @query-param name that does not decode", async () => {
    const body = new TextEncoder().encode(
      JSON.stringify(victim.activity("Like", `${OWNER}/statuses/1`)),
    );
    const url = new URL(`${ORIGIN}/users/owner/inbox?a=1`);
    const headers = await signMessage(
      {
        method: "POST",
        url,
        headers: new Headers({ "content-type": "application/activity+json" }),
        body,
      },
      { key: victim.signingKey, flavour: "rfc9421" },
    );
    headers.set(
      "signature-input",
      `sig1=("@method" "@target-uri" "content-digest" "@query-param";name="%");created=${Math.floor(Date.now() / 1000)};keyid="${victim.keyId}"`,
    );
    const res = await exports.default.fetch(url, { method: "POST", headers, body });
    expect(res.status).toBe(401);
  });
});

describe("an Undo that names nothing", () => {
  it("undoes nothing", async () => {
    const ours = await seedNote();
    await victim.send(victim.activity("Like", ours.id));
    await victim.send(victim.activity("Undo", { type: "Like" }));
    expect(await db().select().from(reactions).where(eq(reactions.actor, victim.id))).toHaveLength(
      1,
    );
  });
});

describe("follow-up messages of an accepted activity", () => {
  /** An activity stored as if its follow-ups could not be sent at the time. */
  async function storedUnsent(actor: RemoteActor, createdAt: Date) {
    const follow = actor.activity("Follow", OWNER);
    const acceptId = `${ORIGIN}/activities/${Math.floor(Math.random() * 1e9)}`;
    await db()
      .insert(inbox)
      .values({
        id: follow.id,
        actor: OWNER,
        sender: actor.id,
        type: "Follow",
        payload: JSON.stringify(follow),
        createdAt,
        processedAt: createdAt,
        followUps: [{ v: 1, type: "deliver", activityId: acceptId, inboxes: [actor.inbox] }],
      });
    await db()
      .insert(outbox)
      .values({
        id: acceptId,
        actor: OWNER,
        type: "Accept",
        visibility: "direct",
        payload: { id: acceptId, type: "Accept", actor: OWNER, object: follow.id },
        published: createdAt,
        fannedOutAt: createdAt,
      });
    return follow;
  }

  const acceptsAt = async (actor: RemoteActor) =>
    (await received(actor.host, "POST")).filter(
      (r) => r.url === actor.inbox && r.body.includes('"Accept"'),
    );

  it("are sent when the activity arrives again", async () => {
    const sender = await RemoteActor.create({ host: "resend.spoof.test", username: "a" });
    const follow = await storedUnsent(sender, new Date());
    expect((await sender.send(follow)).status).toBe(202);
    await eventually(async () => (await acceptsAt(sender)).length === 1);
    const [row] = await db().select().from(inbox).where(eq(inbox.id, follow.id));
    expect(row?.followUps).toBeNull();
  });

  it("are sent by the cron's housekeeping when the activity does not come again", async () => {
    const sender = await RemoteActor.create({ host: "sweep.spoof.test", username: "b" });
    const follow = await storedUnsent(sender, new Date(Date.now() - 3600_000));
    const fresh = await storedUnsent(sender, new Date());
    await runCron();
    await eventually(async () => (await acceptsAt(sender)).length === 1);
    const rows = await db().select().from(inbox).where(eq(inbox.sender, sender.id));
    expect(rows.find((r) => r.id === follow.id)?.followUps).toBeNull();
    // A row younger than the grace period may still be sending its own: left alone.
    expect(rows.find((r) => r.id === fresh.id)?.followUps).not.toBeNull();
    expect(await db().select().from(follows).where(eq(follows.follower, sender.id))).toEqual([]);
  });
});
