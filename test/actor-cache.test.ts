/**
 * The KV actor cache: hits, misses, negative entries, the TTL, replacement by a signed
 * Update, a spoofed Update refused, a Delete, key rotation, and what a fetch refuses.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import {
  ACTOR_TTL_SECONDS,
  actorEntryKey,
  forgetHeldEntries,
  GONE_TTL_SECONDS,
  MEMO_TTL_MS,
  readActor,
  readKeyOwner,
  writeActor,
  writeGone,
} from "../src/cache/actor-cache";
import { fetchActor } from "../src/cache/actors";
import { type Recorder, recording } from "../src/metrics/recorder";
import { importPrivateKey } from "../src/signatures/algorithms";
import { fromBase64, generateRsaKeyPair } from "../src/signatures/keys";
import { actors } from "../src/storage/schema";
import { ageActor, appContext, db } from "./helpers";
import { OWNER, RemoteActor, received, serve } from "./support/remote";

const remote = appContext;

const gets = async (host: string) => (await received(host, "GET")).length;
/** What KV holds for an actor (not the isolate's copy). */
const cached = (id: string) => {
  forgetHeldEntries();
  return readActor(env.ACTOR_CACHE, id, new Date());
};
/** What KV holds for a key's owner (not the isolate's copy). */
const cachedKeyOwner = (keyId: string) => {
  forgetHeldEntries();
  return readKeyOwner(env.ACTOR_CACHE, keyId, new Date());
};
const storedRow = async (id: string) =>
  (await db().select().from(actors).where(eq(actors.id, id)))[0];

/** What a lookup counted, by cache result. */
async function counted<T>(work: () => Promise<T>): Promise<{ result: T; counts: Recorder }> {
  const { result, recorder } = await recording(work);
  return { result, counts: recorder };
}
const cacheResult = (counts: Recorder, result: string) =>
  counts.counts.get(`activitypub_actor_cache_total{result="${result}"}`) ?? 0;
const kvWrites = (counts: Recorder) => counts.counts.get("activitypub_kv_writes_total") ?? 0;
const kvReads = (counts: Recorder) => counts.counts.get("activitypub_kv_reads_total") ?? 0;

async function newKey() {
  const pair = await generateRsaKeyPair();
  const privateKey = await importPrivateKey(fromBase64(pair.privateKeyPkcs8), "rsa-v1_5-sha256");
  return { publicKeyPem: pair.publicKeyPem, privateKey };
}

describe("looking an actor up", () => {
  it("fetches it on a miss, caches its normalised shape, then serves it with no request", async () => {
    const ann = await RemoteActor.create({
      host: "hit.cache.test",
      username: "ann",
      extra: { summary: "<p>hi<script>alert(1)</script></p>", unrelated: "x".repeat(2000) },
    });
    const miss = await counted(() => fetchActor(remote(), ann.id));
    expect(miss.result.ok).toBe(true);
    expect(await gets("hit.cache.test")).toBe(1);
    expect(cacheResult(miss.counts, "miss")).toBe(1);
    expect(kvWrites(miss.counts)).toBe(1);

    const entry = await cached(ann.id);
    if (entry.kind !== "actor") throw new Error(`not cached: ${entry.kind}`);
    expect(entry.fresh).toBe(true);
    expect(entry.actor.inbox).toBe(ann.inbox);
    expect(entry.actor.publicKeyId).toBe(ann.keyId);
    // The fields we use, sanitised, not the remote payload.
    expect(entry.actor.summary).toBe("<p>hi</p>");
    expect(JSON.stringify(entry.actor)).not.toContain("unrelated");

    const hit = await counted(() => fetchActor(remote(), ann.id));
    expect(hit.result.ok && hit.result.actor.id).toBe(ann.id);
    expect(await gets("hit.cache.test")).toBe(1);
    expect(cacheResult(hit.counts, "hit")).toBe(1);
    expect(kvWrites(hit.counts)).toBe(0);
  });

  it("is fetched again once its hour is over, and the new document is served", async () => {
    // The README promises an hour for an actor and ten minutes for a gone one.
    expect([ACTOR_TTL_SECONDS, GONE_TTL_SECONDS]).toEqual([3600, 600]);
    const bea = await RemoteActor.create({ host: "ttl.cache.test", username: "bea" });
    await fetchActor(remote(), bea.id);
    await bea.publish({ name: "Bea, renamed" });
    const within = await fetchActor(remote(ACTOR_TTL_SECONDS - 60), bea.id);
    expect(within.ok && within.actor.name).toBe("bea");
    expect(await gets("ttl.cache.test")).toBe(1);

    const after = await counted(() => fetchActor(remote(ACTOR_TTL_SECONDS + 1), bea.id));
    expect(after.result.ok && after.result.actor.name).toBe("Bea, renamed");
    expect(await gets("ttl.cache.test")).toBe(2);
    expect(cacheResult(after.counts, "refresh")).toBe(1);
    expect((await storedRow(bea.id))?.name).toBe("Bea, renamed");
  });

  it("remembers a 404 or 410 for a while, then asks again", async () => {
    const gone = "https://gone.cache.test/users/nobody";
    await serve({ url: gone, status: 410, body: { error: "gone" } });
    expect(await fetchActor(remote(), gone)).toEqual({ ok: false, reason: "gone" });
    expect((await cached(gone)).kind).toBe("gone");
    expect(await fetchActor(remote(), gone)).toEqual({ ok: false, reason: "gone" });
    expect(await gets("gone.cache.test")).toBe(1);

    const later = await fetchActor(remote(GONE_TTL_SECONDS + 1), gone);
    expect(later).toEqual({ ok: false, reason: "gone" });
    expect(await gets("gone.cache.test")).toBe(2);
  });

  it("refuses a document whose id is not the URL asked for, and caches nothing", async () => {
    const asked = "https://mismatch.cache.test/users/cleo";
    const cleo = await RemoteActor.create({ host: "mismatch.cache.test", username: "real" });
    // The server answers for `asked` with another actor's document.
    await serve({ url: asked, body: cleo.document });
    expect(await fetchActor(remote(), asked)).toEqual({ ok: false, reason: "failed" });
    expect((await cached(asked)).kind).toBe("miss");
    expect((await cached(cleo.id)).kind).toBe("miss");
    expect(await storedRow(cleo.id)).toBeUndefined();
  });

  it("follows one redirect, as Mastodon does, and not two", async () => {
    const dora = await RemoteActor.create({ host: "moved.cache.test", username: "dora" });
    const once = "https://moved.cache.test/@dora";
    await serve({ url: once, status: 301, headers: { location: dora.id } });
    // After the redirect the document's id is the URL reached: accepted under that id.
    expect(await fetchActor(remote(), once)).toMatchObject({ ok: true, actor: { id: dora.id } });
    const twice = "https://moved.cache.test/old/dora";
    await serve({ url: twice, status: 302, headers: { location: once } });
    expect(await fetchActor(remote(), twice)).toEqual({ ok: false, reason: "failed" });
  });
});

describe("signature keys", () => {
  it("come from KV: a known sender's next activity costs no fetch, even without its D1 row", async () => {
    const eli = await RemoteActor.create({ host: "keys.cache.test", username: "eli" });
    expect((await eli.send(eli.activity("Like", `${OWNER}/statuses/1`))).status).toBe(202);
    expect(await gets("keys.cache.test")).toBe(1);
    const key = await cachedKeyOwner(eli.keyId);
    expect(key.kind === "actor" && key.actor.publicKeyPem).toBe(eli.publicKeyPem);

    await db().delete(actors).where(eq(actors.id, eli.id));
    forgetHeldEntries(); // KV's, not the isolate's copy
    expect((await eli.send(eli.activity("Like", `${OWNER}/statuses/2`))).status).toBe(202);
    expect(await gets("keys.cache.test")).toBe(1);
  });

  it("come from D1 while KV has not caught up: a fresh row costs no fetch", async () => {
    const fia = await RemoteActor.create({ host: "lag.cache.test", username: "fia" });
    expect((await fia.send(fia.activity("Like", `${OWNER}/statuses/1`))).status).toBe(202);
    // KV is eventually consistent: another location (another isolate) may not see it yet.
    await env.ACTOR_CACHE.delete(await actorEntryKey(fia.id));
    forgetHeldEntries();
    expect((await fia.send(fia.activity("Like", `${OWNER}/statuses/2`))).status).toBe(202);
    expect(await gets("lag.cache.test")).toBe(1);
  });

  it("are held by the isolate for a minute: a known sender's next check reads no KV", async () => {
    const ida = await RemoteActor.create({ host: "held.cache.test", username: "ida" });
    expect((await ida.send(ida.activity("Like", `${OWNER}/statuses/1`))).status).toBe(202);
    const lookUp = () => counted(() => readKeyOwner(env.ACTOR_CACHE, ida.keyId, new Date()));
    const warm = await lookUp();
    expect(warm.result.kind === "actor" && warm.result.actor.publicKeyPem).toBe(ida.publicKeyPem);
    expect(kvReads(warm.counts)).toBe(0);

    // Another isolate learns that Ida is gone and writes it to KV: this isolate serves its
    // copy for what is left of the minute, as KV in another location would, then reads KV.
    const gone = { v: 1, cachedAt: Date.now(), gone: true };
    await env.ACTOR_CACHE.put(await actorEntryKey(ida.id), JSON.stringify(gone));
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + MEMO_TTL_MS - 1_000);
      const within = await lookUp();
      expect(within.result.kind).toBe("actor");
      expect(kvReads(within.counts)).toBe(0);
      vi.setSystemTime(Date.now() + 2_000);
      const after = await lookUp();
      expect(after.result.kind).toBe("gone");
      expect(kvReads(after.counts)).toBe(1);
    } finally {
      vi.useRealTimers();
      forgetHeldEntries();
    }
  });

  it("that a read begun before this isolate's write does not undo it", async () => {
    const kit = await RemoteActor.create({ host: "race.cache.test", username: "kit" });
    expect((await kit.send(kit.activity("Like", `${OWNER}/statuses/1`))).status).toBe(202);
    forgetHeldEntries();
    // The read is waiting on KV (the old copy) when the write replaces the isolate's copy.
    const reading = readActor(env.ACTOR_CACHE, kit.id, new Date());
    await writeGone(env.ACTOR_CACHE, kit.id, new Date());
    expect((await reading).kind).toBe("actor");
    const next = await counted(() => readActor(env.ACTOR_CACHE, kit.id, new Date()));
    expect(next.result.kind).toBe("gone");
    expect(kvReads(next.counts)).toBe(0);
  });

  it("too large to hold are read from KV each time", async () => {
    const lou = await RemoteActor.create({ host: "large.cache.test", username: "lou" });
    await fetchActor(remote(), lou.id);
    const entry = await cached(lou.id);
    if (entry.kind !== "actor") throw new Error(`not cached: ${entry.kind}`);
    await writeActor(env.ACTOR_CACHE, { ...entry.actor, name: "x".repeat(20_000) }, new Date());
    for (let i = 0; i < 2; i++) {
      const read = await counted(() => readActor(env.ACTOR_CACHE, lou.id, new Date()));
      expect(read.result.kind === "actor" && read.result.actor.name?.length).toBe(20_000);
      expect(kvReads(read.counts)).toBe(1);
    }
  });

  it("that this isolate writes replace its copy at once; a failed write drops it", async () => {
    const jo = await RemoteActor.create({ host: "rewrite.cache.test", username: "jo" });
    expect((await jo.send(jo.activity("Like", `${OWNER}/statuses/1`))).status).toBe(202);
    const held = () => counted(() => readActor(env.ACTOR_CACHE, jo.id, new Date()));
    expect((await held()).result.kind).toBe("actor");
    await writeGone(env.ACTOR_CACHE, jo.id, new Date());
    const read = await held();
    expect(read.result.kind).toBe("gone");
    expect(kvReads(read.counts)).toBe(0);
    expect((await cached(jo.id)).kind).toBe("gone");

    // KV refuses the next write (the day's quota spent): the isolate does not hold what KV
    // did not take, and the next look reads KV.
    const refusing = new Proxy(env.ACTOR_CACHE, {
      get: (target, prop) =>
        prop === "put"
          ? () => Promise.reject(new Error("KV put() limit exceeded for the day."))
          : Reflect.get(target, prop).bind(target),
    });
    const stored = await cached(jo.id);
    await writeGone(refusing, jo.id, new Date(Date.now() + 1000));
    const after = await held();
    expect(kvReads(after.counts)).toBe(1);
    expect(after.result).toEqual(stored);
  });

  it("are found through a pointer for GoToSocial's <actor>/main-key ids", async () => {
    const fay = await RemoteActor.create({
      host: "gts.cache.test",
      username: "fay",
      keyStyle: "path",
    });
    expect((await fay.send(fay.activity("Like", `${OWNER}/statuses/1`))).status).toBe(202);
    const before = await gets("gts.cache.test");
    await db().delete(actors).where(eq(actors.id, fay.id));
    forgetHeldEntries(); // KV's pointer and entry, not the isolate's copies
    expect((await fay.send(fay.activity("Like", `${OWNER}/statuses/2`))).status).toBe(202);
    expect(await gets("gts.cache.test")).toBe(before);
  });

  it("rotated: refetched exactly once, then the new key is cached", async () => {
    const gus = await RemoteActor.create({ host: "rotate.cache.test", username: "gus" });
    expect((await gus.send(gus.activity("Like", `${OWNER}/statuses/1`))).status).toBe(202);
    await ageActor(gus.id);
    await gus.rotateKey();
    expect((await gus.send(gus.activity("Like", `${OWNER}/statuses/2`))).status).toBe(202);
    expect(await gets("rotate.cache.test")).toBe(2);
    const key = await cachedKeyOwner(gus.keyId);
    expect(key.kind === "actor" && key.actor.publicKeyPem).toBe(gus.publicKeyPem);
    // From now on, the new key is a hit.
    expect((await gus.send(gus.activity("Like", `${OWNER}/statuses/3`))).status).toBe(202);
    expect(await gets("rotate.cache.test")).toBe(2);
  });
});

describe("what is not verified", () => {
  it("writes nothing to KV: a forged signature naming a real key costs no write", async () => {
    const kim = await RemoteActor.create({ host: "junk.cache.test", username: "kim" });
    const mal = await RemoteActor.create({ host: "junk-sender.cache.test", username: "mal" });
    const forged = await kim.send(kim.activity("Like", `${OWNER}/statuses/1`), {
      signWith: { ...mal.signingKey, keyId: kim.keyId },
    });
    expect(forged.status).toBe(401);
    expect((await cachedKeyOwner(kim.keyId)).kind).toBe("miss");
    // Kim's own signature verifies with the key fetched moments ago (the key memo), and
    // only then is it stored and cached.
    expect((await kim.send(kim.activity("Like", `${OWNER}/statuses/2`))).status).toBe(202);
    expect(await gets("junk.cache.test")).toBe(1);
    const key = await cachedKeyOwner(kim.keyId);
    expect(key.kind === "actor" && key.actor.publicKeyPem).toBe(kim.publicKeyPem);
  });

  it("answers 401, not 500, for a key id too long for a KV key once encoded", async () => {
    const lea = await RemoteActor.create({ host: "long.cache.test", username: "lea" });
    const keyId = `https://long.cache.test/${"é".repeat(300)}#main-key`;
    const res = await lea.send(lea.activity("Like", `${OWNER}/statuses/1`), {
      signWith: { ...lea.signingKey, keyId },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: expect.stringMatching(/signature/) });
  });
});

describe("an Update of an actor", () => {
  it("signed by that actor replaces the cached copy at once, and its D1 row", async () => {
    const hal = await RemoteActor.create({ host: "update.cache.test", username: "hal" });
    expect((await hal.send(hal.activity("Follow", OWNER))).status).toBe(202);
    const fetches = await gets("update.cache.test");
    // Hal announces a new name and a new key; his server still serves the old document.
    const next = await newKey();
    const updated = {
      ...hal.document,
      name: "Hal, updated",
      publicKey: { id: hal.keyId, owner: hal.id, publicKeyPem: next.publicKeyPem },
    };
    expect((await hal.send(hal.activity("Update", updated))).status).toBe(202);

    const entry = await cached(hal.id);
    expect(entry.kind === "actor" && entry.actor.name).toBe("Hal, updated");
    expect(entry.kind === "actor" && entry.actor.publicKeyPem).toBe(next.publicKeyPem);
    expect((await storedRow(hal.id))?.name).toBe("Hal, updated");
    // Signed with the new key, his next activity verifies without asking his server.
    const res = await hal.send(hal.activity("Like", `${OWNER}/statuses/1`), {
      signWith: { keyId: hal.keyId, privateKey: next.privateKey },
    });
    expect(res.status).toBe(202);
    expect(await gets("update.cache.test")).toBe(fetches);
  });

  it("that changes nothing writes nothing to KV (writes are scarce)", async () => {
    const ike = await RemoteActor.create({ host: "same.cache.test", username: "ike" });
    expect((await ike.send(ike.activity("Follow", OWNER))).status).toBe(202);
    const key = await actorEntryKey(ike.id);
    const before = await env.ACTOR_CACHE.get(key);
    expect(before).not.toBeNull();
    expect((await ike.send(ike.activity("Update", ike.document))).status).toBe(202);
    // A write would stamp the entry with the Update's time.
    expect(await env.ACTOR_CACHE.get(key)).toBe(before);
    const renamed = { ...ike.document, name: "Ike, renamed" };
    expect((await ike.send(ike.activity("Update", renamed))).status).toBe(202);
    expect(await env.ACTOR_CACHE.get(key)).not.toBe(before);
  });

  it("of someone else, spoofed, changes nothing in KV or D1", async () => {
    const ida = await RemoteActor.create({ host: "victim.cache.test", username: "ida" });
    const mal = await RemoteActor.create({ host: "spoof.cache.test", username: "mal" });
    expect((await ida.send(ida.activity("Follow", OWNER))).status).toBe(202);
    const spoofed = {
      ...ida.document,
      name: "Spoofed",
      inbox: "https://spoof.cache.test/steal",
      publicKey: { id: ida.keyId, owner: ida.id, publicKeyPem: mal.publicKeyPem },
    };
    const res = await mal.send(mal.activity("Update", spoofed));
    expect(res.status).toBe(202);
    const entry = await cached(ida.id);
    expect(entry.kind === "actor" && [entry.actor.name, entry.actor.inbox]).toEqual([
      "ida",
      ida.inbox,
    ]);
    expect((await storedRow(ida.id))?.inbox).toBe(ida.inbox);
    // Ida's own key still verifies her; Mal's signature in her name does not.
    expect((await ida.send(ida.activity("Like", `${OWNER}/statuses/1`))).status).toBe(202);
    const forged = await ida.send(ida.activity("Like", `${OWNER}/statuses/2`), {
      signWith: { ...mal.signingKey, keyId: ida.keyId },
    });
    expect(forged.status).toBe(401);
  });
});

describe("a Delete of an actor", () => {
  it("removes it from KV and D1: later lookups answer gone with no request", async () => {
    const jon = await RemoteActor.create({ host: "delete.cache.test", username: "jon" });
    expect((await jon.send(jon.activity("Follow", OWNER))).status).toBe(202);
    expect((await cached(jon.id)).kind).toBe("actor");
    expect((await jon.send(jon.activity("Delete", jon.id))).status).toBe(202);
    expect((await cached(jon.id)).kind).toBe("gone");
    expect(await storedRow(jon.id)).toBeUndefined();
    const fetches = await gets("delete.cache.test");
    expect(await fetchActor(remote(), jon.id)).toEqual({ ok: false, reason: "gone" });
    expect(await gets("delete.cache.test")).toBe(fetches);
  });
});
