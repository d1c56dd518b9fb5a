/**
 * Body digests: `Digest: SHA-256=…` (RFC 3230, what draft-cavage signers send) and
 * `Content-Digest: sha-256=:…:` (RFC 9530, what RFC 9421 signers send). A signature covers
 * the digest header, not the body, so the digest must be checked against the body.
 */
import { parseDictionary } from "structured-headers";
import { toBase64 } from "./keys";

const HASHES = { "sha-256": "SHA-256", "sha-512": "SHA-512" } as const;
type HashName = keyof typeof HASHES;

export type DigestCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: "digestMissing" | "digestMismatch" | "badSyntax" | "unsupportedAlgorithm";
    };

async function hash(name: HashName, body: Uint8Array): Promise<string> {
  return toBase64(await crypto.subtle.digest(HASHES[name], body));
}

export type DigestHeader = "digest" | "content-digest";

/** `name → base64` pairs of the given headers; undefined when one cannot be parsed. */
function readDigests(
  headers: Headers,
  which: readonly DigestHeader[],
): Map<string, string> | undefined {
  const digests = new Map<string, string>();
  const contentDigest = which.includes("content-digest") ? headers.get("content-digest") : null;
  if (contentDigest !== null) {
    try {
      for (const [name, member] of parseDictionary(contentDigest)) {
        const value = member[0];
        if (!(value instanceof ArrayBuffer)) return undefined;
        digests.set(`content:${name.toLowerCase()}`, toBase64(value));
      }
    } catch {
      return undefined;
    }
  }
  const digest = which.includes("digest") ? headers.get("digest") : null;
  if (digest !== null) {
    for (const part of digest.split(",")) {
      const eq = part.indexOf("=");
      if (eq <= 0) return undefined;
      digests.set(`digest:${part.slice(0, eq).trim().toLowerCase()}`, part.slice(eq + 1).trim());
    }
  }
  return digests;
}

/**
 * Checks the digests in the headers the signature covers (`which`) against the body; a
 * header the signature does not cover proves nothing and is not read. At least one digest
 * must be of a supported algorithm, and every supported one must match.
 */
export async function checkBodyDigest(
  headers: Headers,
  body: Uint8Array,
  which: readonly DigestHeader[],
): Promise<DigestCheck> {
  const digests = readDigests(headers, which);
  if (digests === undefined) return { ok: false, reason: "badSyntax" };
  if (digests.size === 0) return { ok: false, reason: "digestMissing" };
  let checked = 0;
  for (const [key, value] of digests) {
    const name = key.slice(key.indexOf(":") + 1);
    if (!Object.hasOwn(HASHES, name)) continue;
    checked++;
    if ((await hash(name as HashName, body)) !== value)
      return { ok: false, reason: "digestMismatch" };
  }
  return checked > 0 ? { ok: true } : { ok: false, reason: "unsupportedAlgorithm" };
}

/** The `Digest` value for draft-cavage signing. */
export async function digestHeader(body: Uint8Array): Promise<string> {
  return `SHA-256=${await hash("sha-256", body)}`;
}

/** The `Content-Digest` value for RFC 9421 signing. */
export async function contentDigestHeader(body: Uint8Array): Promise<string> {
  return `sha-256=:${await hash("sha-256", body)}:`;
}
