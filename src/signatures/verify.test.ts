/** verifyRequest's policy: every reason a signature is refused, in both flavours. */
import { describe, expect, it } from "vitest";
import { importPrivateKey } from "./algorithms";
import type { SignedMessage } from "./cavage";
import { fromBase64, generateRsaKeyPair } from "./keys";
import { type SigningKey, signMessage } from "./sign";
import {
  type KeyResolution,
  type KeyResolver,
  type SignatureFlavour,
  verifyRequest,
} from "./verify";

const ACTOR = "https://remote.test/users/alice";
const KEY_ID = `${ACTOR}#main-key`;
const INBOX = "https://outpost.test/users/owner/inbox";

async function newKey() {
  const pair = await generateRsaKeyPair();
  const privateKey = await importPrivateKey(fromBase64(pair.privateKeyPkcs8), "rsa-v1_5-sha256");
  return { pem: pair.publicKeyPem, signing: { keyId: KEY_ID, privateKey } satisfies SigningKey };
}

const keyA = await newKey();
const keyB = await newKey();

function resolverFor(pem: string | KeyResolution, calls: { refresh: boolean }[] = []): KeyResolver {
  return async (keyId, options) => {
    calls.push(options);
    if (typeof pem !== "string") return pem;
    return {
      ok: true,
      fromCache: !options.refresh,
      key: { id: keyId, owner: ACTOR, publicKeyPem: pem },
    };
  };
}

const body = new TextEncoder().encode(JSON.stringify({ type: "Create", id: `${ACTOR}/1` }));

async function signed(
  flavour: SignatureFlavour,
  options: {
    now?: number;
    url?: string;
    body?: Uint8Array | null;
    key?: SigningKey;
  } = {},
): Promise<SignedMessage> {
  const url = new URL(options.url ?? INBOX);
  const headers = await signMessage(
    {
      method: "POST",
      url,
      headers: new Headers({ "content-type": "application/activity+json" }),
      body: options.body === null ? undefined : (options.body ?? body),
    },
    {
      key: options.key ?? keyA.signing,
      flavour,
      now: options.now === undefined ? undefined : new Date(options.now),
    },
  );
  headers.set("host", url.host);
  return { method: "POST", url, headers };
}

describe.each(["cavage", "rfc9421"] as const)("verifyRequest (%s)", (flavour) => {
  it("accepts a fresh signature and names the key's owner", async () => {
    const result = await verifyRequest(await signed(flavour), body, {
      resolveKey: resolverFor(keyA.pem),
    });
    expect(result).toEqual({ ok: true, flavour, keyId: KEY_ID, owner: ACTOR });
  });

  it("refuses a body that does not match its digest", async () => {
    const other = new TextEncoder().encode("{}");
    const result = await verifyRequest(await signed(flavour), other, {
      resolveKey: resolverFor(keyA.pem),
    });
    expect(result).toMatchObject({ ok: false, reason: "digestMismatch" });
  });

  it("refuses a body without a digest", async () => {
    const msg = await signed(flavour, { body: null });
    const result = await verifyRequest(msg, body, { resolveKey: resolverFor(keyA.pem) });
    expect(result).toMatchObject({ ok: false, reason: "notCovered" });
  });

  it("refuses a signature older than an hour (plus skew) and one from more than an hour ahead", async () => {
    const now = Date.now();
    const resolveKey = resolverFor(keyA.pem);
    const old = await signed(flavour, { now: now - 66 * 60_000 });
    expect(await verifyRequest(old, body, { resolveKey, now: new Date(now) })).toMatchObject({
      ok: false,
      reason: "expired",
    });
    const recent = await signed(flavour, { now: now - 50 * 60_000 });
    expect(await verifyRequest(recent, body, { resolveKey, now: new Date(now) })).toMatchObject({
      ok: true,
    });
    const future = await signed(flavour, { now: now + 61 * 60_000 });
    expect(await verifyRequest(future, body, { resolveKey, now: new Date(now) })).toMatchObject({
      ok: false,
      reason: "notYetValid",
    });
  });

  it("refuses a signature by another key", async () => {
    const msg = await signed(flavour, { key: keyB.signing });
    const result = await verifyRequest(msg, body, { resolveKey: resolverFor(keyA.pem) });
    expect(result).toMatchObject({ ok: false, reason: "invalidSignature", keyId: KEY_ID });
  });

  it("refuses a request whose target was changed", async () => {
    const msg = await signed(flavour);
    const moved = { ...msg, url: new URL("https://outpost.test/inbox") };
    expect(await verifyRequest(moved, body, { resolveKey: resolverFor(keyA.pem) })).toMatchObject({
      ok: false,
      reason: "invalidSignature",
    });
  });

  it("refetches a cached key once when it fails (rotation), and accepts the new key", async () => {
    const calls: { refresh: boolean }[] = [];
    const resolveKey: KeyResolver = async (keyId, options) => {
      calls.push(options);
      const pem = options.refresh ? keyB.pem : keyA.pem;
      return {
        ok: true,
        fromCache: !options.refresh,
        key: { id: keyId, owner: ACTOR, publicKeyPem: pem },
      };
    };
    const result = await verifyRequest(await signed(flavour, { key: keyB.signing }), body, {
      resolveKey,
    });
    expect(result).toMatchObject({ ok: true });
    expect(calls).toEqual([{ refresh: false }, { refresh: true }]);
  });

  it("refetches at most once, then refuses", async () => {
    const calls: { refresh: boolean }[] = [];
    const msg = await signed(flavour, { key: keyB.signing });
    const result = await verifyRequest(msg, body, { resolveKey: resolverFor(keyA.pem, calls) });
    expect(result).toMatchObject({ ok: false, reason: "invalidSignature" });
    expect(calls).toEqual([{ refresh: false }, { refresh: true }]);
  });

  it("does not refetch a key it has just fetched", async () => {
    const calls: { refresh: boolean }[] = [];
    const resolveKey: KeyResolver = async (keyId, options) => {
      calls.push(options);
      return {
        ok: true,
        fromCache: false,
        key: { id: keyId, owner: ACTOR, publicKeyPem: keyA.pem },
      };
    };
    const msg = await signed(flavour, { key: keyB.signing });
    expect(await verifyRequest(msg, body, { resolveKey })).toMatchObject({
      reason: "invalidSignature",
    });
    expect(calls).toHaveLength(1);
  });

  it("reports a key that cannot be fetched, or whose actor is gone", async () => {
    const msg = await signed(flavour);
    expect(
      await verifyRequest(msg, body, { resolveKey: resolverFor({ ok: false, reason: "failed" }) }),
    ).toMatchObject({
      ok: false,
      reason: "keyFetchFailed",
    });
    expect(
      await verifyRequest(msg, body, { resolveKey: resolverFor({ ok: false, reason: "gone" }) }),
    ).toMatchObject({
      ok: false,
      reason: "keyGone",
    });
  });
});

describe("verifyRequest, flavour-specific", () => {
  const resolveKey = resolverFor(keyA.pem);

  it("says noSignature when there is none, badSyntax for garbage", async () => {
    const msg = { method: "POST", url: new URL(INBOX), headers: new Headers() };
    expect(await verifyRequest(msg, body, { resolveKey })).toEqual({
      ok: false,
      reason: "noSignature",
    });
    msg.headers.set("signature", "garbage");
    expect(await verifyRequest(msg, body, { resolveKey })).toEqual({
      ok: false,
      reason: "badSyntax",
    });
    msg.headers.set("signature-input", "sig1=(");
    expect(await verifyRequest(msg, body, { resolveKey })).toEqual({
      ok: false,
      reason: "badSyntax",
    });
  });

  it("refuses algorithms it does not support, before fetching any key", async () => {
    const calls: { refresh: boolean }[] = [];
    const msg = await signed("cavage");
    msg.headers.set(
      "signature",
      (msg.headers.get("signature") ?? "").replace("rsa-sha256", "hmac-sha256"),
    );
    expect(await verifyRequest(msg, body, { resolveKey: resolverFor(keyA.pem, calls) })).toEqual({
      ok: false,
      reason: "unsupportedAlgorithm",
    });
    const msg2 = await signed("rfc9421");
    msg2.headers.set(
      "signature-input",
      (msg2.headers.get("signature-input") ?? "").replace("rsa-v1_5-sha256", "hmac-sha256"),
    );
    expect(await verifyRequest(msg2, body, { resolveKey: resolverFor(keyA.pem, calls) })).toEqual({
      ok: false,
      reason: "unsupportedAlgorithm",
    });
    expect(calls).toEqual([]);
  });

  it("accepts hs2019 and a missing algorithm parameter (the key decides), and Authorization: Signature", async () => {
    const msg = await signed("cavage");
    const sig = msg.headers.get("signature") ?? "";
    for (const value of [
      sig.replace("rsa-sha256", "hs2019"),
      sig.replace('algorithm="rsa-sha256",', ""),
    ]) {
      msg.headers.set("signature", value);
      expect(await verifyRequest(msg, body, { resolveKey })).toMatchObject({ ok: true });
    }
    msg.headers.delete("signature");
    msg.headers.set("authorization", `Signature ${sig}`);
    expect(await verifyRequest(msg, body, { resolveKey })).toMatchObject({ ok: true });
  });

  it("accepts a GoToSocial-style (request-target) signed without the query string", async () => {
    const msg = await signed("cavage", { url: `${INBOX}` });
    const withQuery = { ...msg, url: new URL(`${INBOX}?x=1`) };
    expect(await verifyRequest(withQuery, body, { resolveKey })).toMatchObject({ ok: true });
  });

  it("needs the date (or created) and the target to be covered", async () => {
    const msg = await signed("cavage");
    const sig = msg.headers.get("signature") ?? "";
    msg.headers.set(
      "signature",
      sig.replace("(request-target) host date", "(request-target) host"),
    );
    expect(await verifyRequest(msg, body, { resolveKey })).toMatchObject({ reason: "notCovered" });
    msg.headers.set("signature", sig.replace("(request-target) host date", "host date"));
    expect(await verifyRequest(msg, body, { resolveKey })).toMatchObject({ reason: "notCovered" });
  });

  it("needs the host in a cavage signature: without it, it could be replayed to another server", async () => {
    const msg = await signed("cavage");
    const sig = msg.headers.get("signature") ?? "";
    msg.headers.set(
      "signature",
      sig.replace("(request-target) host date", "(request-target) date"),
    );
    expect(await verifyRequest(msg, body, { resolveKey })).toMatchObject({ reason: "notCovered" });
  });

  it("needs @method and the authority in an RFC 9421 signature", async () => {
    const msg = await signed("rfc9421");
    const input = msg.headers.get("signature-input") ?? "";
    expect(input).toContain('"@method" "@target-uri"');
    for (const components of ['"@target-uri"', '"@method" "@path"', '"@path" "@authority"']) {
      msg.headers.set("signature-input", input.replace('"@method" "@target-uri"', components));
      expect(await verifyRequest(msg, body, { resolveKey })).toMatchObject({
        reason: "notCovered",
      });
    }
  });

  it("honours an RFC 9421 expires parameter", async () => {
    const msg = await signed("rfc9421");
    const now = Date.now();
    const input = msg.headers.get("signature-input") ?? "";
    msg.headers.set("signature-input", `${input};expires=${Math.floor(now / 1000) - 600}`);
    expect(await verifyRequest(msg, body, { resolveKey, now: new Date(now) })).toMatchObject({
      reason: "expired",
    });
  });
});
