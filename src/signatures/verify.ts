/**
 * Verifies a signed request, whichever flavour it carries, and says why when it fails.
 * The key comes from a resolver (the remote actor cache); a signature that fails with a
 * cached key is checked once more with a freshly fetched key, for keys that were rotated.
 *
 * What a signature must cover, whichever its flavour (otherwise `notCovered`):
 * - the method, host and path: cavage `(request-target)` and `host`; RFC 9421 `@method`
 *   and `@target-uri`, or `@path` (or `@request-target`) with `@authority` (or `host`);
 * - when it was made: `date` or `(created)` (RFC 9421: the `created` parameter, or `date`);
 * - a body's digest: `digest` (RFC 9421: `content-digest`, or `digest`), checked against it.
 * Mastodon, GoToSocial, Misskey, Pleroma and Fedify all sign at least that.
 */
import { type AlgorithmName, algorithmsForKey, isAlgorithmName, verifyWith } from "./algorithms";
import {
  cavageAlgorithm,
  cavageSigningString,
  parseCavageSignature,
  type SignedMessage,
} from "./cavage";
import { checkBodyDigest, type DigestHeader } from "./digest";
import { type PublicKeyInfo, parsePublicKeyPem } from "./keys";
import {
  componentName,
  parseRfc9421Signatures,
  type Rfc9421Signature,
  rfc9421SignatureBase,
} from "./rfc9421";

export type SignatureFlavour = "cavage" | "rfc9421";

export type VerifyFailure =
  | "noSignature"
  | "badSyntax"
  | "unsupportedAlgorithm"
  /** The signature leaves out what it must cover: the date, the target, a body's digest. */
  | "notCovered"
  | "expired"
  | "notYetValid"
  | "digestMissing"
  | "digestMismatch"
  | "keyFetchFailed"
  /** The key's actor answers 404 or 410: it no longer exists. */
  | "keyGone"
  /** The key is on another host than the one the request says it is from: not fetched. */
  | "foreignKey"
  /** The key is on a domain the owner blocked: not fetched. */
  | "blockedDomain"
  | "invalidSignature";

export type VerifyResult =
  | {
      readonly ok: true;
      readonly flavour: SignatureFlavour;
      readonly keyId: string;
      /** The actor the key belongs to, as the key's document says. */
      readonly owner: string;
    }
  | {
      readonly ok: false;
      readonly reason: VerifyFailure;
      readonly flavour?: SignatureFlavour;
      readonly keyId?: string;
    };

export interface ResolvedKey {
  readonly id: string;
  readonly owner: string;
  readonly publicKeyPem: string;
}

export type KeyResolution =
  | { readonly ok: true; readonly key: ResolvedKey; readonly fromCache: boolean }
  | { readonly ok: false; readonly reason: "failed" | "gone" | "foreign" | "blocked" };

/** Finds a key by id: from the cache, or fetched when `refresh` is set or nothing is cached. */
export type KeyResolver = (keyId: string, options: { refresh: boolean }) => Promise<KeyResolution>;

export interface VerifyOptions {
  readonly resolveKey: KeyResolver;
  /** Default now. */
  readonly now?: Date;
  /** How long after signing a signature is accepted. Default one hour. */
  readonly maxAgeSeconds?: number;
  /** Tolerated clock difference. Default five minutes. */
  readonly clockSkewSeconds?: number;
  /** How far in the future a signing time may lie. Default one hour. */
  readonly maxFutureSeconds?: number;
}

/** What one flavour found in the headers, before any key is fetched. */
interface Candidate {
  readonly keyId: string;
  readonly signedAt: number | undefined;
  readonly expires: number | undefined;
  /** The digest headers the signature covers. */
  readonly digests: readonly DigestHeader[];
  /**
   * Whether it covers the request's method, host and path: a signature that leaves one out
   * could be replayed to another server, or as another request, unchanged.
   */
  readonly coversTarget: boolean;
  /** The algorithms to try, and the strings they may have signed. */
  check(key: PublicKeyInfo): Promise<boolean | "unsupportedAlgorithm">;
}

export async function verifyRequest(
  message: SignedMessage,
  body: Uint8Array | undefined,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const found = findSignature(message);
  if (!found.ok) return found;
  const { flavour, candidate } = found;
  const fail = (reason: VerifyFailure): VerifyResult => ({
    ok: false,
    reason,
    flavour,
    keyId: candidate.keyId,
  });

  if (candidate.signedAt === undefined || !candidate.coversTarget) return fail("notCovered");
  const now = (options.now?.getTime() ?? Date.now()) / 1000;
  const skew = options.clockSkewSeconds ?? 300;
  if (candidate.signedAt > now + (options.maxFutureSeconds ?? 3600)) return fail("notYetValid");
  if (now > candidate.signedAt + (options.maxAgeSeconds ?? 3600) + skew) return fail("expired");
  if (candidate.expires !== undefined && now > candidate.expires + skew) return fail("expired");

  if (body !== undefined && body.length > 0) {
    if (candidate.digests.length === 0) return fail("notCovered");
    const digest = await checkBodyDigest(message.headers, body, candidate.digests);
    if (!digest.ok) return fail(digest.reason);
  }

  let resolved = await options.resolveKey(candidate.keyId, { refresh: false });
  for (let attempt = 0; ; attempt++) {
    if (!resolved.ok) return fail(RESOLUTION_FAILURES[resolved.reason]);
    const key = parsePublicKeyPem(resolved.key.publicKeyPem);
    let outcome: boolean | "unsupportedAlgorithm";
    try {
      outcome = key === undefined ? "unsupportedAlgorithm" : await candidate.check(key);
    } catch {
      // Whatever a sender put in its headers, it gets an answer, not an exception.
      return fail("badSyntax");
    }
    if (outcome === true) {
      return { ok: true, flavour, keyId: candidate.keyId, owner: resolved.key.owner };
    }
    // A cached key may have been rotated: fetch it once more, never more than once.
    if (!resolved.fromCache || attempt > 0) {
      return fail(outcome === "unsupportedAlgorithm" ? outcome : "invalidSignature");
    }
    const previous = resolved.key.publicKeyPem;
    resolved = await options.resolveKey(candidate.keyId, { refresh: true });
    if (resolved.ok && resolved.key.publicKeyPem === previous) {
      return fail(outcome === "unsupportedAlgorithm" ? outcome : "invalidSignature");
    }
  }
}

const RESOLUTION_FAILURES = {
  failed: "keyFetchFailed",
  gone: "keyGone",
  foreign: "foreignKey",
  blocked: "blockedDomain",
} as const satisfies Record<string, VerifyFailure>;

type Found =
  | { readonly ok: true; readonly flavour: SignatureFlavour; readonly candidate: Candidate }
  | { readonly ok: false; readonly reason: "noSignature" | "badSyntax" | "unsupportedAlgorithm" };

function findSignature(message: SignedMessage): Found {
  const input = message.headers.get("signature-input");
  const signature = message.headers.get("signature");
  if (input !== null && signature !== null) {
    const parsed = parseRfc9421Signatures(input, signature);
    if (!parsed.ok) return { ok: false, reason: "badSyntax" };
    // Senders put their own signature first; relays and proxies add theirs after it.
    const first = parsed.signatures[0] as Rfc9421Signature;
    if (first.alg !== undefined && !isAlgorithmName(first.alg)) {
      return { ok: false, reason: "unsupportedAlgorithm" };
    }
    return { ok: true, flavour: "rfc9421", candidate: rfc9421Candidate(message, first) };
  }
  const authorization = message.headers.get("authorization");
  const cavage =
    signature ?? (authorization?.match(/^Signature\s+(.+)$/i)?.[1] as string | undefined) ?? null;
  if (cavage === null) return { ok: false, reason: "noSignature" };
  const parsed = parseCavageSignature(cavage);
  if (parsed === undefined) return { ok: false, reason: "badSyntax" };
  const algorithm = cavageAlgorithm(parsed.algorithm);
  if (algorithm === undefined) return { ok: false, reason: "unsupportedAlgorithm" };
  const dateHeader = parsed.headers.includes("date") ? message.headers.get("date") : null;
  const signedAt = parsed.headers.includes("(created)")
    ? parsed.created
    : dateHeader === null
      ? undefined
      : Date.parse(dateHeader) / 1000;
  return {
    ok: true,
    flavour: "cavage",
    candidate: {
      keyId: parsed.keyId,
      signedAt: signedAt === undefined || Number.isNaN(signedAt) ? undefined : signedAt,
      expires: parsed.headers.includes("(expires)") ? parsed.expires : undefined,
      digests: parsed.headers.includes("digest") ? ["digest"] : [],
      coversTarget: parsed.headers.includes("(request-target)") && parsed.headers.includes("host"),
      async check(key) {
        const algorithms = algorithm === "fromKey" ? algorithmsForKey(key.kind) : [algorithm];
        // GoToSocial signs (request-target) with and without the query string.
        const variants = message.url.search === "" ? [false] : [false, true];
        for (const withoutQuery of variants) {
          const text = cavageSigningString(message, parsed, { withoutQuery });
          if (text === undefined) return false;
          if (await anyVerifies(algorithms, key, { signature: parsed.signature, text }))
            return true;
        }
        return false;
      },
    },
  };
}

function rfc9421Candidate(message: SignedMessage, sig: Rfc9421Signature): Candidate {
  const covered = new Set(sig.components.map(componentName));
  const dateHeader = covered.has("date") ? message.headers.get("date") : null;
  const signedAt = sig.created ?? (dateHeader === null ? undefined : Date.parse(dateHeader) / 1000);
  return {
    keyId: sig.keyId,
    signedAt: signedAt === undefined || Number.isNaN(signedAt) ? undefined : signedAt,
    expires: sig.expires,
    digests: (["content-digest", "digest"] as const).filter((h) => covered.has(h)),
    coversTarget:
      covered.has("@method") &&
      (covered.has("@target-uri") ||
        ((covered.has("@path") || covered.has("@request-target")) &&
          (covered.has("@authority") || covered.has("host")))),
    async check(key) {
      const algorithms =
        sig.alg !== undefined && isAlgorithmName(sig.alg) ? [sig.alg] : algorithmsForKey(key.kind);
      const base = rfc9421SignatureBase(message, sig.components, sig.params);
      if (base === undefined) return false;
      return anyVerifies(algorithms, key, { signature: sig.signature, text: base });
    },
  };
}

/** Whether the signature is the key's over `text` with any of the algorithms. */
async function anyVerifies(
  algorithms: readonly AlgorithmName[],
  key: PublicKeyInfo,
  { signature, text }: { signature: Uint8Array<ArrayBuffer>; text: string },
): Promise<boolean> {
  const data = new TextEncoder().encode(text);
  for (const algorithm of algorithms) {
    if (await verifyWith(algorithm, key, { signature, data })) return true;
  }
  return false;
}
