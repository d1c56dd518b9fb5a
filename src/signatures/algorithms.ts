/**
 * Signature algorithms by their RFC 9421 names, with the Web Crypto parameters to import a
 * key for them and to sign or verify. Imported keys are cached per isolate: importing is
 * cheap, but not free, and the same few keys sign most of what arrives.
 */
import { type KeyKind, type PublicKeyInfo, toBase64 } from "./keys";

export const ALGORITHMS = {
  "rsa-v1_5-sha256": {
    kind: "rsa",
    importParams: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    signParams: { name: "RSASSA-PKCS1-v1_5" },
  },
  "rsa-pss-sha512": {
    kind: "rsa",
    importParams: { name: "RSA-PSS", hash: "SHA-512" },
    signParams: { name: "RSA-PSS", saltLength: 64 },
  },
  "ecdsa-p256-sha256": {
    kind: "ec-p256",
    importParams: { name: "ECDSA", namedCurve: "P-256" },
    signParams: { name: "ECDSA", hash: "SHA-256" },
  },
  ed25519: {
    kind: "ed25519",
    importParams: { name: "Ed25519" },
    signParams: { name: "Ed25519" },
  },
} as const satisfies Record<string, { kind: KeyKind; importParams: object; signParams: object }>;

export type AlgorithmName = keyof typeof ALGORITHMS;

export function isAlgorithmName(name: string): name is AlgorithmName {
  return Object.hasOwn(ALGORITHMS, name);
}

/** What to try for a key whose signature names no algorithm, most likely first. */
export function algorithmsForKey(kind: KeyKind): AlgorithmName[] {
  switch (kind) {
    case "rsa":
      return ["rsa-v1_5-sha256", "rsa-pss-sha512"];
    case "ec-p256":
      return ["ecdsa-p256-sha256"];
    case "ed25519":
      return ["ed25519"];
  }
}

const MAX_CACHED_KEYS = 256;
const verifyKeys = new Map<string, Promise<CryptoKey>>();

function importVerifyKey(key: PublicKeyInfo, algorithm: AlgorithmName): Promise<CryptoKey> {
  const cacheKey = `${algorithm} ${toBase64(key.spki)}`;
  let imported = verifyKeys.get(cacheKey);
  if (imported === undefined) {
    imported = crypto.subtle.importKey(
      "spki",
      key.spki,
      ALGORITHMS[algorithm].importParams,
      false,
      ["verify"],
    );
    // Forget a failed import, and keep the cache bounded (oldest entry first).
    imported.catch(() => verifyKeys.delete(cacheKey));
    if (verifyKeys.size >= MAX_CACHED_KEYS) {
      const oldest = verifyKeys.keys().next().value;
      if (oldest !== undefined) verifyKeys.delete(oldest);
    }
    verifyKeys.set(cacheKey, imported);
  }
  return imported;
}

/** A signature and the bytes it claims to sign. */
export interface Signed {
  readonly signature: Uint8Array<ArrayBuffer>;
  readonly data: Uint8Array;
}

/** Checks a signature; false for a wrong signature or a key that does not fit the algorithm. */
export async function verifyWith(
  algorithm: AlgorithmName,
  key: PublicKeyInfo,
  { signature, data }: Signed,
): Promise<boolean> {
  if (ALGORITHMS[algorithm].kind !== key.kind) return false;
  try {
    const cryptoKey = await importVerifyKey(key, algorithm);
    return await crypto.subtle.verify(ALGORITHMS[algorithm].signParams, cryptoKey, signature, data);
  } catch {
    return false;
  }
}

export async function signWith(
  algorithm: AlgorithmName,
  key: CryptoKey,
  data: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.sign(ALGORITHMS[algorithm].signParams, key, data));
}

/** Imports our own PKCS#8 private key for signing with the given algorithm. */
export function importPrivateKey(
  pkcs8: Uint8Array<ArrayBuffer>,
  algorithm: AlgorithmName,
): Promise<CryptoKey> {
  return crypto.subtle.importKey("pkcs8", pkcs8, ALGORITHMS[algorithm].importParams, false, [
    "sign",
  ]);
}
