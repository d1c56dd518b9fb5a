/** The published test vectors, reproduced byte for byte: signature bases and signatures. */
import { describe, expect, it } from "vitest";
import {
  CAVAGE_PRIVATE_KEY_PKCS1,
  CAVAGE_PUBLIC_KEY,
  CAVAGE_REQUEST,
  CAVAGE_VECTORS,
  MASTODON_2022,
  RFC9421_KEYS,
  RFC9421_RSA_PRIVATE_PKCS1,
  RFC9421_VECTORS,
  type TestRequest,
} from "../../test/fixtures/httpsig";
import { importPrivateKey, signWith, verifyWith } from "./algorithms";
import {
  cavageAlgorithm,
  cavageSigningString,
  parseCavageSignature,
  type SignedMessage,
} from "./cavage";
import { fromBase64, parsePublicKeyPem, pkcs1PrivateToPkcs8, toBase64 } from "./keys";
import { parseRfc9421Signatures, rfc9421SignatureBase } from "./rfc9421";
import { verifyRequest } from "./verify";

function message(request: TestRequest): SignedMessage {
  const headers = new Headers();
  for (const [name, value] of request.headers) headers.append(name, value);
  return { method: request.method, url: new URL(request.url), headers };
}

function publicKey(pem: string) {
  const key = parsePublicKeyPem(pem);
  if (key === undefined) throw new Error("test key does not parse");
  return key;
}

function privateKeyFromPkcs1(pem: string) {
  const der = fromBase64(pem.replace(/-----[A-Z ]+-----|\s/g, ""));
  return importPrivateKey(pkcs1PrivateToPkcs8(der), "rsa-v1_5-sha256");
}

const encode = (text: string) => new TextEncoder().encode(text);

describe("RFC 9421 vectors", () => {
  it.each(RFC9421_VECTORS.map((v) => [v.name, v] as const))("%s", async (_name, vector) => {
    const parsed = parseRfc9421Signatures(vector.signatureInput, vector.signature);
    if (!parsed.ok) throw new Error("vector does not parse");
    const sig = parsed.signatures.find((s) => s.label === vector.label);
    if (sig === undefined) throw new Error(`no ${vector.label}`);
    const base = rfc9421SignatureBase(message(vector.request), sig.components, sig.params);
    const key = publicKey(RFC9421_KEYS[vector.key]);
    const alg =
      sig.alg ??
      {
        rsa: "rsa-v1_5-sha256",
        rsaPss: "rsa-pss-sha512",
        eccP256: "ecdsa-p256-sha256",
        ed25519: "ed25519",
      }[vector.key];
    if (vector.base === null) {
      // A transformation that changes covered components: the base differs, the check fails.
      expect(base).toBeDefined();
      expect(
        await verifyWith(alg as "ed25519", key, {
          signature: sig.signature,
          data: encode(base ?? ""),
        }),
      ).toBe(false);
      return;
    }
    expect(base).toBe(vector.base);
    expect(
      await verifyWith(alg as "ed25519", key, {
        signature: sig.signature,
        data: encode(vector.base),
      }),
    ).toBe(true);
    // One flipped bit in the base, and the same signature fails.
    const tampered = `${vector.base.slice(0, -1)}${vector.base.endsWith("1") ? "2" : "1"}`;
    expect(
      await verifyWith(alg as "ed25519", key, { signature: sig.signature, data: encode(tampered) }),
    ).toBe(false);
  });

  it("signs the Section 4.3 rsa-v1_5-sha256 base to the printed signature, byte for byte", async () => {
    const vector = RFC9421_VECTORS.find((v) => v.key === "rsa");
    if (vector?.base == null) throw new Error("no rsa-v1_5-sha256 vector");
    const parsed = parseRfc9421Signatures(vector.signatureInput, vector.signature);
    const expected = parsed.ok
      ? parsed.signatures.find((s) => s.label === vector.label)
      : undefined;
    const key = await privateKeyFromPkcs1(RFC9421_RSA_PRIVATE_PKCS1);
    const signature = await signWith("rsa-v1_5-sha256", key, encode(vector.base));
    expect(toBase64(signature)).toBe(toBase64(expected?.signature ?? new Uint8Array()));
  });
});

describe("draft-cavage-http-signatures-12 vectors", () => {
  it.each(CAVAGE_VECTORS.map((v) => [v.name, v] as const))("%s", async (_name, vector) => {
    const parsed = parseCavageSignature(vector.signature);
    if (parsed === undefined) throw new Error("vector does not parse");
    const text = cavageSigningString(message(CAVAGE_REQUEST), parsed);
    expect(text).toBe(vector.signingString);
    expect(cavageAlgorithm(parsed.algorithm)).toBe("rsa-v1_5-sha256");
    const key = publicKey(CAVAGE_PUBLIC_KEY);
    expect(
      await verifyWith("rsa-v1_5-sha256", key, {
        signature: parsed.signature,
        data: encode(vector.signingString),
      }),
    ).toBe(true);
    // rsa-sha256 is deterministic: our signer reproduces the printed bytes.
    const privateKey = await privateKeyFromPkcs1(CAVAGE_PRIVATE_KEY_PKCS1);
    const signature = await signWith("rsa-v1_5-sha256", privateKey, encode(vector.signingString));
    expect(toBase64(signature)).toBe(toBase64(parsed.signature));
  });
});

describe("a real Mastodon 4.0 signature", () => {
  const resolveKey = async () => ({
    ok: true as const,
    fromCache: false,
    key: {
      id: MASTODON_2022.keyId,
      owner: "https://mastodon.in.th/users/llun",
      publicKeyPem: MASTODON_2022.publicKeyPem,
    },
  });

  it("verifies at the time it was made", async () => {
    const msg = message(MASTODON_2022.request);
    const parsed = parseCavageSignature(msg.headers.get("signature") ?? "");
    expect(parsed && cavageSigningString(msg, parsed)).toBe(MASTODON_2022.signingString);
    const result = await verifyRequest(msg, undefined, {
      resolveKey,
      now: new Date(MASTODON_2022.signedAt + 60_000),
    });
    expect(result).toEqual({
      ok: true,
      flavour: "cavage",
      keyId: MASTODON_2022.keyId,
      owner: "https://mastodon.in.th/users/llun",
    });
  });

  it("fails once its Date is changed, and is expired today", async () => {
    const msg = message(MASTODON_2022.request);
    msg.headers.set("date", "Wed, 09 Nov 2022 18:40:37 GMT");
    expect(
      await verifyRequest(msg, undefined, { resolveKey, now: new Date(MASTODON_2022.signedAt) }),
    ).toMatchObject({
      ok: false,
      reason: "invalidSignature",
    });
    expect(
      await verifyRequest(message(MASTODON_2022.request), undefined, { resolveKey }),
    ).toMatchObject({
      ok: false,
      reason: "expired",
    });
  });
});
