/**
 * Key formats: what we generate, store and publish, and what we accept from remote actors
 * (SPKI PEM, which nearly everyone publishes, and PKCS#1 `RSA PUBLIC KEY`, which a few do).
 * RSA-2048 for our own keys because every fediverse server verifies it.
 */
import { toHex } from "../lib/hash";

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

/** The kinds of public key a signature can be checked with. */
export type KeyKind = "rsa" | "ec-p256" | "ed25519";

export interface PublicKeyInfo {
  readonly kind: KeyKind;
  /** SubjectPublicKeyInfo, DER. */
  readonly spki: Uint8Array<ArrayBuffer>;
}

const OID_RSA = "2a864886f70d010101";
const OID_EC = "2a8648ce3d0201";
const OID_P256 = "2a8648ce3d030107";
const OID_ED25519 = "2b6570";

/**
 * The longest PEM accepted: an RSA-8192 key (the largest anyone publishes) is about 1.5 kB.
 * A longer one is not a key, and is refused before it is read.
 */
export const MAX_PUBLIC_KEY_PEM_LENGTH = 8 * 1024;

/**
 * Reads a PEM public key and tells which kind it is; `undefined` for anything else (other
 * curves, certificates, garbage, anything longer than `MAX_PUBLIC_KEY_PEM_LENGTH`). PKCS#1
 * RSA keys are wrapped into SPKI, the only public key format Web Crypto imports.
 */
export function parsePublicKeyPem(pem: string): PublicKeyInfo | undefined {
  const armour = readPemArmour(pem);
  if (armour === undefined) return undefined;
  let der: Uint8Array<ArrayBuffer>;
  try {
    der = fromBase64(armour.base64);
  } catch {
    return undefined;
  }
  if (armour.label === "RSA PUBLIC KEY") {
    return {
      kind: "rsa",
      spki: derSequence([derSequence([derOid(OID_RSA), NULL]), derBitString(der)]),
    };
  }
  const algorithm = readSpkiAlgorithm(der);
  if (algorithm === undefined) return undefined;
  if (algorithm.oid === OID_RSA) return { kind: "rsa", spki: der };
  if (algorithm.oid === OID_ED25519) return { kind: "ed25519", spki: der };
  if (algorithm.oid === OID_EC && algorithm.params === OID_P256)
    return { kind: "ec-p256", spki: der };
  return undefined;
}

const PEM_LABELS = ["PUBLIC KEY", "RSA PUBLIC KEY"] as const;

/**
 * The first public key block of a PEM text and its base64 body (whitespace removed), found
 * by plain searches: each character is looked at a bounded number of times, whatever the
 * text holds (a regular expression with a lazy group and a back-reference is not).
 */
function readPemArmour(
  pem: string,
): { label: (typeof PEM_LABELS)[number]; base64: string } | undefined {
  if (pem.length > MAX_PUBLIC_KEY_PEM_LENGTH) return undefined;
  for (
    let from = pem.indexOf("-----BEGIN ");
    from >= 0;
    from = pem.indexOf("-----BEGIN ", from + 1)
  ) {
    const labelEnd = pem.indexOf("-----", from + 11);
    if (labelEnd < 0) return undefined;
    const label = PEM_LABELS.find((l) => l === pem.slice(from + 11, labelEnd));
    if (label === undefined) continue;
    const bodyStart = labelEnd + 5;
    const end = pem.indexOf(`-----END ${label}-----`, bodyStart);
    if (end < 0) return undefined;
    return { label, base64: pem.slice(bodyStart, end).replace(/\s+/g, "") };
  }
  return undefined;
}

// A minimal DER reader and writer: enough for SubjectPublicKeyInfo, nothing more.

interface Tlv {
  readonly tag: number;
  readonly body: Uint8Array;
  readonly end: number;
}

function readTlv(der: Uint8Array, offset: number): Tlv | undefined {
  const tag = der[offset];
  let length = der[offset + 1];
  if (tag === undefined || length === undefined) return undefined;
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes < 1 || bytes > 3) return undefined;
    length = 0;
    for (let i = 0; i < bytes; i++) length = (length << 8) | (der[start + i] ?? 0);
    start += bytes;
  }
  const end = start + length;
  if (end > der.length) return undefined;
  return { tag, body: der.subarray(start, end), end };
}

function readSpkiAlgorithm(der: Uint8Array): { oid: string; params?: string } | undefined {
  const spki = readTlv(der, 0);
  if (spki?.tag !== 0x30) return undefined;
  const algorithm = readTlv(spki.body, 0);
  if (algorithm?.tag !== 0x30) return undefined;
  const oid = readTlv(algorithm.body, 0);
  if (oid?.tag !== 0x06) return undefined;
  const params = readTlv(algorithm.body, oid.end);
  return { oid: toHex(oid.body), params: params?.tag === 0x06 ? toHex(params.body) : undefined };
}

function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function derTlv(tag: number, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const head = [tag, ...derLength(body.length)];
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function derSequence(items: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const body = new Uint8Array(items.reduce((n, i) => n + i.length, 0));
  let offset = 0;
  for (const item of items) {
    body.set(item, offset);
    offset += item.length;
  }
  return derTlv(0x30, body);
}

function derOid(oidHex: string): Uint8Array {
  return derTlv(
    0x06,
    Uint8Array.from(oidHex.match(/../g) ?? [], (h) => Number.parseInt(h, 16)),
  );
}

const NULL = new Uint8Array([0x05, 0x00]);

function derBitString(bytes: Uint8Array): Uint8Array {
  const body = new Uint8Array(bytes.length + 1);
  body.set(bytes, 1);
  return derTlv(0x03, body);
}

/** Wraps a PKCS#1 `RSA PRIVATE KEY` into PKCS#8, the format Web Crypto imports. */
export function pkcs1PrivateToPkcs8(pkcs1: Uint8Array): Uint8Array<ArrayBuffer> {
  return derSequence([
    new Uint8Array([0x02, 0x01, 0x00]),
    derSequence([derOid(OID_RSA), NULL]),
    derTlv(0x04, pkcs1),
  ]);
}

export function toPem(label: string, der: ArrayBuffer | Uint8Array): string {
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

/** Decodes base64 (standard alphabet, padding optional); throws on anything else. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
