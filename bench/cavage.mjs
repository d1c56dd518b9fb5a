/**
 * What the benchmarks' fake remote servers sign with: RSA keys and draft-cavage POSTs, the
 * way Mastodon signs, on Node's Web Crypto (written independently of Outpost's own signer).
 */
import { createHash, webcrypto } from "node:crypto";
import { rsa2048 } from "./rsa.mjs";

const { subtle } = webcrypto;
const b64 = (bytes) => Buffer.from(bytes).toString("base64");

/** A fresh RSA-2048 key pair: the private key to sign with, the public one as PEM. */
export async function newKey() {
  const pair = await rsa2048();
  const spki = b64(await subtle.exportKey("spki", pair.publicKey));
  const pem = `-----BEGIN PUBLIC KEY-----\n${spki.match(/.{1,64}/g).join("\n")}\n-----END PUBLIC KEY-----\n`;
  return { privateKey: pair.privateKey, pem };
}

/**
 * A cavage-signed POST of `body`, covering `(request-target) host date digest content-type`
 * (`digestOf`: what the Digest header hashes, for forgeries; `date`: when it was signed).
 */
export async function signedPost(url, body, signer) {
  const { keyId, privateKey, date = new Date(), digestOf = body } = signer;
  const target = new URL(url);
  const headers = {
    "content-type": "application/activity+json",
    date: date.toUTCString(),
    digest: `SHA-256=${createHash("sha256").update(digestOf).digest("base64")}`,
  };
  const signingString = [
    `(request-target): post ${target.pathname}`,
    `host: ${target.host}`,
    `date: ${headers.date}`,
    `digest: ${headers.digest}`,
    `content-type: ${headers["content-type"]}`,
  ].join("\n");
  const signature = b64(
    await subtle.sign("RSASSA-PKCS1-v1_5", privateKey, new TextEncoder().encode(signingString)),
  );
  headers.signature = `keyId="${keyId}",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="${signature}"`;
  return { url: target.href, body, headers };
}
