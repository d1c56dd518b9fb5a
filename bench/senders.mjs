/**
 * The senders the fan-out benchmark (bench/fanout.mjs) compares Outpost with, delivering to
 * the same fake servers (bench/farm.mjs): a Fedify-based sender (@fedify/fedify on Node, its
 * in-process queue) and a naive loop (each follower in turn).
 */
import { createHash, webcrypto } from "node:crypto";
import { sleep, uniqueInboxesOf } from "./farm.mjs";

export async function fedifySender(farm, followers) {
  farm.reset();
  const { createFederation, generateCryptoKeyPair, InProcessMessageQueue, MemoryKvStore } =
    await import("@fedify/fedify");
  const { Create, Endpoints, Note, Person } = await import("@fedify/vocab");
  const federation = createFederation({
    kv: new MemoryKvStore(),
    queue: new InProcessMessageQueue(),
    allowPrivateAddress: true,
  });
  const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const origin = "http://127.0.0.1:1";
  federation
    .setActorDispatcher(
      "/users/{identifier}",
      (ctx, identifier) =>
        new Person({
          id: ctx.getActorUri(identifier),
          preferredUsername: identifier,
          inbox: new URL(`${origin}/inbox`),
        }),
    )
    .setKeyPairsDispatcher(() => [keys]);
  const ctx = federation.createContext(new URL(origin), undefined);
  const recipients = followers.map(
    (f) =>
      new Person({
        id: new URL(f.id),
        inbox: new URL(f.inbox),
        endpoints:
          f.sharedInbox === null ? null : new Endpoints({ sharedInbox: new URL(f.sharedInbox) }),
      }),
  );
  const activityId = `${origin}/activities/fedify-bench`;
  const activity = new Create({
    id: new URL(activityId),
    actor: ctx.getActorUri("bench"),
    object: new Note({ id: new URL(`${origin}/notes/1`), content: "Hello from Fedify" }),
  });
  const expected = uniqueInboxesOf(followers);
  const started = Date.now();
  await ctx.sendActivity({ identifier: "bench" }, recipients, activity, {
    preferSharedInbox: true,
  });
  let receipts;
  for (;;) {
    receipts = farm.receipts(activityId);
    if (receipts.inboxes.size >= expected.size || Date.now() - started > 600_000) break;
    await sleep(20);
  }
  return { wallMs: Date.now() - started, posts: receipts.posts, delivered: receipts.inboxes.size };
}

/** What a naive sender does: each follower in turn, its own inbox, signed, awaited. */
export async function naiveLoop(farm, followers) {
  farm.reset();
  const keys = await webcrypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    false,
    ["sign"],
  );
  const activityId = "http://127.0.0.1:1/activities/naive";
  const body = JSON.stringify({
    "@context": "https://www.w3.org/ns/activitystreams",
    id: activityId,
    type: "Create",
  });
  const digest = `SHA-256=${createHash("sha256").update(body).digest("base64")}`;
  const started = Date.now();
  for (const f of followers) {
    const url = new URL(f.inbox);
    const date = new Date().toUTCString();
    const text = `(request-target): post ${url.pathname}\nhost: ${url.host}\ndate: ${date}\ndigest: ${digest}`;
    const signature = Buffer.from(
      await webcrypto.subtle.sign(
        "RSASSA-PKCS1-v1_5",
        keys.privateKey,
        new TextEncoder().encode(text),
      ),
    ).toString("base64");
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/activity+json",
        date,
        digest,
        signature: `keyId="x",headers="(request-target) host date digest",signature="${signature}"`,
      },
      body,
    });
    await res.arrayBuffer();
  }
  const receipts = farm.receipts(activityId);
  return { wallMs: Date.now() - started, posts: receipts.posts, delivered: receipts.inboxes.size };
}
