/**
 * Signs outgoing requests, at send time (signatures expire, retries come later), in either
 * flavour: draft-cavage `(request-target) host date digest content-type`, or RFC 9421
 * `@method @target-uri content-digest` with `created`.
 */

import { serializeDictionary } from "structured-headers";
import { type AlgorithmName, signWith } from "./algorithms";
import { cavageSigningString, serializeCavageSignature } from "./cavage";
import { contentDigestHeader, digestHeader } from "./digest";
import { toBase64 } from "./keys";
import { rfc9421SignatureBase, signatureInput } from "./rfc9421";
import type { SignatureFlavour } from "./verify";

export interface SigningKey {
  /** The key's id as published (`<actor>#main-key`). */
  readonly keyId: string;
  readonly privateKey: CryptoKey;
  /** Default `rsa-v1_5-sha256`, what our RSA keys sign with. */
  readonly algorithm?: AlgorithmName;
}

export interface OutgoingMessage {
  readonly method: string;
  readonly url: URL;
  /** Headers to send besides the signature ones (`Accept`, `Content-Type`...). */
  readonly headers: Headers;
  readonly body?: Uint8Array;
  /**
   * The body's `Digest` and `Content-Digest` values, when already computed: one body sent
   * to many inboxes is hashed once.
   */
  readonly digests?: BodyDigests;
}

export interface BodyDigests {
  readonly digest: string;
  readonly contentDigest: string;
}

/** Both digest header values of a body, for `OutgoingMessage.digests`. */
export async function bodyDigests(body: Uint8Array): Promise<BodyDigests> {
  const [digest, contentDigest] = await Promise.all([
    digestHeader(body),
    contentDigestHeader(body),
  ]);
  return { digest, contentDigest };
}

export interface SignOptions {
  readonly key: SigningKey;
  readonly flavour: SignatureFlavour;
  /** When it is signed; default now. */
  readonly now?: Date;
}

/**
 * Returns the headers to send: the given ones plus `Date`, a digest of the body, and the
 * signature. `Host` is covered but not returned: fetch sets it from the URL.
 */
export async function signMessage(
  message: OutgoingMessage,
  options: SignOptions,
): Promise<Headers> {
  const { key, flavour } = options;
  const now = options.now ?? new Date();
  const headers = new Headers(message.headers);
  headers.set("date", now.toUTCString());
  const signed = { method: message.method, url: message.url, headers: new Headers(headers) };
  signed.headers.set("host", message.url.host);
  const algorithm = key.algorithm ?? "rsa-v1_5-sha256";
  const sign = async (text: string) =>
    toBase64(await signWith(algorithm, key.privateKey, new TextEncoder().encode(text)));

  if (flavour === "cavage") {
    const covered = ["(request-target)", "host", "date"];
    if (message.body !== undefined) {
      const digest = message.digests?.digest ?? (await digestHeader(message.body));
      headers.set("digest", digest);
      signed.headers.set("digest", digest);
      covered.push("digest");
    }
    if (headers.has("content-type")) covered.push("content-type");
    const text = cavageSigningString(signed, {
      headers: covered,
      created: undefined,
      expires: undefined,
    });
    if (text === undefined) throw new Error("a covered header is missing");
    headers.set(
      "signature",
      serializeCavageSignature({
        keyId: key.keyId,
        algorithm: algorithm === "rsa-v1_5-sha256" ? "rsa-sha256" : "hs2019",
        headers: covered,
        signature: await sign(text),
      }),
    );
    return headers;
  }

  const components = ["@method", "@target-uri"];
  if (message.body !== undefined) {
    const digest = message.digests?.contentDigest ?? (await contentDigestHeader(message.body));
    headers.set("content-digest", digest);
    signed.headers.set("content-digest", digest);
    components.push("content-digest");
  }
  const input = signatureInput(components, {
    created: Math.floor(now.getTime() / 1000),
    keyid: key.keyId,
    alg: algorithm,
  });
  const base = rfc9421SignatureBase(signed, input.components, input.params);
  if (base === undefined) throw new Error("a covered component is missing");
  const signature = await signWith(algorithm, key.privateKey, new TextEncoder().encode(base));
  headers.set(
    "signature-input",
    serializeDictionary(new Map([["sig1", [input.components, input.params]]])),
  );
  headers.set("signature", serializeDictionary(new Map([["sig1", [signature, new Map()]]])));
  return headers;
}
