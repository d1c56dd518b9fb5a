/**
 * Key formats: what we generate, store and publish. RSA-2048 because every fediverse server
 * verifies it (Mastodon accepts nothing else for draft-cavage signatures).
 */

export interface GeneratedKeyPair {
  /** SPKI, PEM-armoured: what the actor document publishes. */
  readonly publicKeyPem: string;
  /** PKCS#8, base64: stored in D1, never sent anywhere. */
  readonly privateKeyPkcs8: string;
}

const RSA_SIGN = {
  name: "RSASSA-PKCS1-v1_5",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
};

export async function generateRsaKeyPair(): Promise<GeneratedKeyPair> {
  const pair = (await crypto.subtle.generateKey(RSA_SIGN, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const [spki, pkcs8] = await Promise.all([
    crypto.subtle.exportKey("spki", pair.publicKey) as Promise<ArrayBuffer>,
    crypto.subtle.exportKey("pkcs8", pair.privateKey) as Promise<ArrayBuffer>,
  ]);
  return { publicKeyPem: toPem("PUBLIC KEY", spki), privateKeyPkcs8: toBase64(pkcs8) };
}

export function toPem(label: string, der: ArrayBuffer): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

export function toBase64(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = "";
  for (let i = 0; i < view.length; i += 0x8000) {
    binary += String.fromCharCode(...view.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
