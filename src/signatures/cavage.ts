/**
 * draft-cavage-http-signatures-12: the `Signature` header Mastodon, Misskey, Pleroma and
 * GoToSocial send, and the one we sign with by default.
 */
import { type AlgorithmName, isAlgorithmName } from "./algorithms";
import { fromBase64 } from "./keys";

/** What a signature needs to know about the request it covers. */
export interface SignedMessage {
  readonly method: string;
  readonly url: URL;
  readonly headers: Headers;
}

export interface CavageSignature {
  readonly keyId: string;
  /** As sent: `rsa-sha256`, `hs2019`, ... or undefined (Fedify sends none). */
  readonly algorithm: string | undefined;
  /** Lower-cased, in signed order. */
  readonly headers: readonly string[];
  readonly signature: Uint8Array<ArrayBuffer>;
  readonly created: number | undefined;
  readonly expires: number | undefined;
}

const PARAM = /\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^\s,"]*))\s*(,|$)/y;

/** Parses a `Signature` header (or an `Authorization: Signature ...` value without the scheme). */
export function parseCavageSignature(value: string): CavageSignature | undefined {
  const params = new Map<string, string>();
  PARAM.lastIndex = 0;
  while (PARAM.lastIndex < value.length) {
    const start = PARAM.lastIndex;
    const match = PARAM.exec(value);
    if (match === null || PARAM.lastIndex === start) return undefined;
    params.set((match[1] ?? "").toLowerCase(), match[2] ?? match[3] ?? "");
    if (match[4] === "") break;
  }
  const keyId = params.get("keyid");
  const signature = params.get("signature");
  if (keyId === undefined || keyId === "" || signature === undefined) return undefined;
  const integer = (name: string): number | undefined | null => {
    const raw = params.get(name);
    if (raw === undefined) return undefined;
    return /^\d{1,15}$/.test(raw) ? Number(raw) : null;
  };
  const created = integer("created");
  const expires = integer("expires");
  if (created === null || expires === null) return undefined;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = fromBase64(signature);
  } catch {
    return undefined;
  }
  const headers = (params.get("headers") ?? "date").toLowerCase().split(/\s+/).filter(Boolean);
  if (headers.length === 0) return undefined;
  return { keyId, algorithm: params.get("algorithm"), headers, signature: bytes, created, expires };
}

/**
 * The algorithm a cavage `algorithm` parameter names; `"fromKey"` when the key decides
 * (`hs2019`, or no parameter), undefined when we do not support it (`hmac-sha256`...).
 */
export function cavageAlgorithm(name: string | undefined): AlgorithmName | "fromKey" | undefined {
  if (name === undefined) return "fromKey";
  const lower = name.toLowerCase();
  if (lower === "hs2019") return "fromKey";
  if (lower === "rsa-sha256") return "rsa-v1_5-sha256";
  return isAlgorithmName(lower) ? lower : undefined;
}

export interface SigningStringOptions {
  /** GoToSocial signs `(request-target)` without the query string; try that too. */
  readonly withoutQuery?: boolean;
}

/** The string the signature covers; undefined when a covered header is missing. */
export function cavageSigningString(
  message: SignedMessage,
  signature: Pick<CavageSignature, "headers" | "created" | "expires">,
  options: SigningStringOptions = {},
): string | undefined {
  const lines: string[] = [];
  for (const name of signature.headers) {
    let value: string | null;
    switch (name) {
      case "(request-target)": {
        const query = options.withoutQuery ? "" : message.url.search;
        value = `${message.method.toLowerCase()} ${message.url.pathname}${query}`;
        break;
      }
      case "(created)":
        value = signature.created === undefined ? null : String(signature.created);
        break;
      case "(expires)":
        value = signature.expires === undefined ? null : String(signature.expires);
        break;
      case "host":
        value = message.headers.get("host") ?? message.url.host;
        break;
      default:
        value = message.headers.get(name);
    }
    if (value === null) return undefined;
    lines.push(`${name}: ${value.trim()}`);
  }
  return lines.join("\n");
}

export function serializeCavageSignature(signature: {
  keyId: string;
  algorithm: string;
  headers: readonly string[];
  signature: string;
}): string {
  return `keyId="${signature.keyId}",algorithm="${signature.algorithm}",headers="${signature.headers.join(" ")}",signature="${signature.signature}"`;
}
