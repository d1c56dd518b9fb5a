/**
 * RFC 9421 HTTP Message Signatures: `Signature-Input` and `Signature` dictionaries
 * (structured fields, RFC 8941, parsed by `structured-headers`), and the signature base
 * built from derived components and header fields.
 */
import {
  type BareItem,
  type InnerList,
  type Item,
  type Parameters,
  parseDictionary,
  serializeInnerList,
  serializeItem,
} from "structured-headers";
import type { SignedMessage } from "./cavage";

export interface Rfc9421Signature {
  readonly label: string;
  /** The covered components, as parsed (identifier and parameters). */
  readonly components: readonly Item[];
  readonly params: Parameters;
  readonly keyId: string;
  readonly alg: string | undefined;
  readonly created: number | undefined;
  readonly expires: number | undefined;
  readonly signature: Uint8Array<ArrayBuffer>;
}

export type ParseRfc9421Result =
  | { readonly ok: true; readonly signatures: readonly Rfc9421Signature[] }
  | { readonly ok: false };

/** Every signature present in both headers, in `Signature-Input` order. */
export function parseRfc9421Signatures(input: string, signature: string): ParseRfc9421Result {
  let inputs: Map<string, Item | InnerList>;
  let values: Map<string, Item | InnerList>;
  try {
    inputs = parseDictionary(input);
    values = parseDictionary(signature);
  } catch {
    return { ok: false };
  }
  const signatures: Rfc9421Signature[] = [];
  for (const [label, member] of inputs) {
    const value = values.get(label);
    if (value === undefined) continue;
    const [components, params] = member;
    const [bytes] = value;
    if (!Array.isArray(components) || !(bytes instanceof ArrayBuffer)) return { ok: false };
    if (!components.every(([name]) => typeof name === "string")) return { ok: false };
    const keyId = params.get("keyid");
    const alg = params.get("alg");
    const created = params.get("created");
    const expires = params.get("expires");
    if (
      typeof keyId !== "string" ||
      (alg !== undefined && typeof alg !== "string") ||
      (created !== undefined && !Number.isInteger(created)) ||
      (expires !== undefined && !Number.isInteger(expires))
    ) {
      return { ok: false };
    }
    signatures.push({
      label,
      components,
      params,
      keyId,
      alg: alg as string | undefined,
      created: created as number | undefined,
      expires: expires as number | undefined,
      signature: new Uint8Array(bytes),
    });
  }
  return signatures.length === 0 ? { ok: false } : { ok: true, signatures };
}

/** The name of a covered component (`@method`, `content-digest`...). */
export const componentName = (component: Item): string => String(component[0]);

/**
 * The value of one component, or undefined when the message has no such component or it
 * uses a parameter we do not support (`;sf`, `;bs`, `;req`, `;tr`).
 */
function componentValue(message: SignedMessage, [name, params]: Item): string | undefined {
  const { url } = message;
  if (typeof name !== "string") return undefined;
  const onlyParams = (...allowed: string[]) => [...params.keys()].every((p) => allowed.includes(p));
  switch (name) {
    case "@method":
      return onlyParams() ? message.method.toUpperCase() : undefined;
    case "@target-uri":
      return onlyParams() ? url.href : undefined;
    case "@authority":
      return onlyParams() ? (message.headers.get("host") ?? url.host).toLowerCase() : undefined;
    case "@scheme":
      return onlyParams() ? url.protocol.slice(0, -1) : undefined;
    case "@request-target":
      return onlyParams() ? `${url.pathname}${url.search}` : undefined;
    case "@path":
      return onlyParams() ? url.pathname || "/" : undefined;
    case "@query":
      return onlyParams() ? url.search || "?" : undefined;
    case "@query-param": {
      const wanted = params.get("name");
      if (!onlyParams("name") || typeof wanted !== "string") return undefined;
      // Names and values compare decoded and are shown re-encoded (RFC 9421 §2.2.8).
      let decoded: string;
      try {
        decoded = decodeURIComponent(wanted);
      } catch {
        return undefined;
      }
      const values = new URLSearchParams(url.search).getAll(decoded);
      return values.length === 1 ? encodeURIComponent(values[0] ?? "") : undefined;
    }
  }
  if (name.startsWith("@") || name !== name.toLowerCase() || !onlyParams()) return undefined;
  return message.headers.get(name)?.trim() ?? undefined;
}

/** The signature base (RFC 9421 §2.5); undefined when a covered component is missing. */
export function rfc9421SignatureBase(
  message: SignedMessage,
  components: readonly Item[],
  params: Parameters,
): string | undefined {
  const lines: string[] = [];
  for (const component of components) {
    const value = componentValue(message, component);
    if (value === undefined) return undefined;
    lines.push(`${serializeItem(component)}: ${value}`);
  }
  lines.push(`"@signature-params": ${serializeInnerList([[...components], params])}`);
  return lines.join("\n");
}

/** Builds a component list and parameters for signing, in the order given. */
export function signatureInput(
  components: readonly string[],
  params: Readonly<Record<string, BareItem>>,
): { components: Item[]; params: Parameters } {
  return {
    components: components.map((name): Item => [name, new Map()]),
    params: new Map(Object.entries(params)),
  };
}
