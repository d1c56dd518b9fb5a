/**
 * Signing generated requests the way a remote server would, and the ways a forger or a
 * careless signer would: a signature over too little, by another key, for another body.
 */
import fc from "fast-check";
import { serializeDictionary } from "structured-headers";
import { signWith } from "../../src/signatures/algorithms";
import { cavageSigningString, serializeCavageSignature } from "../../src/signatures/cavage";
import { contentDigestHeader, digestHeader } from "../../src/signatures/digest";
import { toBase64 } from "../../src/signatures/keys";
import { rfc9421SignatureBase, signatureInput } from "../../src/signatures/rfc9421";
import { type SigningKey, signMessage } from "../../src/signatures/sign";
import type { SignatureFlavour } from "../../src/signatures/verify";
import { base64Junk, dateJunk, headerJunk } from "./arbitraries";

const ORIGIN = "https://outpost.test";

/** What is signed and sent. */
export interface Message {
  readonly path: string;
  readonly body: Uint8Array<ArrayBuffer>;
  readonly contentType: string;
}

/** The headers a correct signer sends (`signMessage`, as every test sender uses). */
export async function signedHeaders(
  message: Message,
  key: SigningKey,
  options: { flavour: SignatureFlavour; now?: Date; origin?: string },
): Promise<Headers> {
  return signMessage(
    {
      method: "POST",
      url: new URL(message.path, options.origin ?? ORIGIN),
      headers: new Headers({ "content-type": message.contentType }),
      body: message.body,
    },
    { key, flavour: options.flavour, now: options.now },
  );
}

/** A signature that is the key's, over exactly the components listed, no more. */
export async function signCovering(
  message: Message,
  key: SigningKey,
  covering: { flavour: SignatureFlavour; components: readonly string[] },
): Promise<Headers> {
  const url = new URL(message.path, ORIGIN);
  const now = new Date();
  const headers = new Headers({
    "content-type": message.contentType,
    date: now.toUTCString(),
    digest: await digestHeader(message.body),
    "content-digest": await contentDigestHeader(message.body),
  });
  const signed = { method: "POST", url, headers: new Headers(headers) };
  signed.headers.set("host", url.host);
  const sign = async (text: string) =>
    signWith("rsa-v1_5-sha256", key.privateKey, new TextEncoder().encode(text));
  if (covering.flavour === "cavage") {
    const text = cavageSigningString(signed, {
      headers: covering.components,
      created: undefined,
      expires: undefined,
    });
    if (text === undefined) throw new Error(`cannot cover ${covering.components.join(" ")}`);
    headers.set(
      "signature",
      serializeCavageSignature({
        keyId: key.keyId,
        algorithm: "rsa-sha256",
        headers: covering.components,
        signature: toBase64(await sign(text)),
      }),
    );
    return headers;
  }
  const input = signatureInput(covering.components, {
    created: Math.floor(now.getTime() / 1000),
    keyid: key.keyId,
    alg: "rsa-v1_5-sha256",
  });
  const base = rfc9421SignatureBase(signed, input.components, input.params);
  if (base === undefined) throw new Error(`cannot cover ${covering.components.join(" ")}`);
  headers.set(
    "signature-input",
    serializeDictionary(new Map([["sig1", [input.components, input.params]]])),
  );
  headers.set(
    "signature",
    serializeDictionary(new Map([["sig1", [(await sign(base)).buffer, new Map()]]])),
  );
  return headers;
}

/**
 * Whether a signature covers enough to bind it to this request: the method, the target and
 * the host it was sent to, and the body's digest. draft-cavage's `(request-target)` holds the
 * method and path, `host` the host; RFC 9421 needs `@method`, and `@target-uri` or the
 * authority with the path.
 */
function coversEnough(flavour: SignatureFlavour, components: readonly string[]): boolean {
  const has = (name: string) => components.includes(name);
  if (flavour === "cavage") {
    return has("(request-target)") && has("host") && has("date") && has("digest");
  }
  const target =
    has("@target-uri") || (has("@authority") && (has("@path") || has("@request-target")));
  return has("@method") && target && has("content-digest");
}

/** Signatures that leave out what binds them to the request, with valid crypto otherwise. */
export const undercovered: fc.Arbitrary<{ flavour: SignatureFlavour; components: string[] }> = fc
  .oneof(
    fc.tuple(
      fc.constant<SignatureFlavour>("cavage"),
      fc
        .subarray(["(request-target)", "host", "content-type"])
        .map((some) => [...some, "date", "digest"]),
    ),
    fc.tuple(
      fc.constant<SignatureFlavour>("rfc9421"),
      fc
        .subarray([
          "@method",
          "@target-uri",
          "@authority",
          "@path",
          "@request-target",
          "@scheme",
          "content-type",
          "date",
        ])
        .map((some) => [...some, "content-digest"]),
    ),
  )
  .chain(([flavour, components]) =>
    fc.shuffledSubarray(components, { minLength: components.length }).map((shuffled) => ({
      flavour,
      components: shuffled,
    })),
  )
  .filter(({ flavour, components }) => !coversEnough(flavour, components));

/** A keyId that is nobody's, or not a URL, or not ours to name. */
export const strangeKeyIds = (unknownHost: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(
      `https://${unknownHost}/users/ghost#main-key`,
      "https://outpost.test/users/owner#main-key",
      "javascript:alert(1)",
      "http://127.0.0.1:1/key",
      "",
      "#main-key",
      `https://${unknownHost}/${"k".repeat(5_000)}`,
    ),
    headerJunk,
  );

/** `Signature`, `Signature-Input` and digest headers made of junk around plausible parts. */
export function junkSignatureHeaders(keyIds: fc.Arbitrary<string>) {
  const cavage = fc
    .record(
      {
        keyId: keyIds,
        algorithm: fc.constantFrom(
          "rsa-sha256",
          "hs2019",
          "hmac-sha256",
          "ed25519",
          "",
          "RSA-SHA256",
        ),
        headers: fc
          .subarray([
            "(request-target)",
            "host",
            "date",
            "digest",
            "(created)",
            "(expires)",
            "content-type",
          ])
          .map((h) => h.join(" ")),
        signature: base64Junk,
        created: fc.oneof(fc.nat().map(String), headerJunk),
        expires: fc.oneof(fc.nat().map(String), headerJunk),
      },
      { requiredKeys: ["keyId", "signature"] },
    )
    .map((params) =>
      Object.entries(params)
        .map(([k, v]) => `${k}="${v}"`)
        .join(","),
    );
  const input = fc
    .tuple(
      fc.subarray([
        '"@method"',
        '"@target-uri"',
        '"@authority"',
        '"content-digest"',
        '"date"',
        '"@query-param";name="a"',
        '"x";sf',
      ]),
      keyIds,
      fc.oneof(fc.nat().map(String), headerJunk),
    )
    .map(([c, keyId, created]) => `sig1=(${c.join(" ")});created=${created};keyid="${keyId}"`);
  return fc.record(
    {
      signature: fc.oneof(
        cavage,
        headerJunk,
        base64Junk.map((b) => `sig1=:${b}:`),
      ),
      "signature-input": fc.oneof(input, headerJunk),
      authorization: cavage.map((c) => `Signature ${c}`),
      digest: fc.oneof(
        base64Junk.map((b) => `SHA-256=${b}`),
        headerJunk,
      ),
      "content-digest": fc.oneof(
        base64Junk.map((b) => `sha-256=:${b}:`),
        headerJunk,
      ),
      date: dateJunk,
    },
    { requiredKeys: [] },
  );
}
