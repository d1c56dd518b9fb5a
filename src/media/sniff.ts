/**
 * What an upload is, read from its first bytes (its "magic"), never from the type or name
 * the client declared: a file that says `image/jpeg` and holds HTML is no picture, and one
 * that says `video/mp4` and holds a PNG is stored as the PNG it is.
 */
import type { MediaKind } from "../storage/schema";

/** The formats this server takes, as Mastodon's `supported_mime_types` lists them. */
export const FORMATS = {
  jpeg: { kind: "image", mediaType: "image/jpeg", extension: "jpg" },
  png: { kind: "image", mediaType: "image/png", extension: "png" },
  // Mastodon turns an animated GIF into an MP4 (`gifv`); a GIF kept as it is, is an image.
  gif: { kind: "image", mediaType: "image/gif", extension: "gif" },
  webp: { kind: "image", mediaType: "image/webp", extension: "webp" },
  avif: { kind: "image", mediaType: "image/avif", extension: "avif" },
  mp4: { kind: "video", mediaType: "video/mp4", extension: "mp4" },
  webm: { kind: "video", mediaType: "video/webm", extension: "webm" },
  mp3: { kind: "audio", mediaType: "audio/mpeg", extension: "mp3" },
  ogg: { kind: "audio", mediaType: "audio/ogg", extension: "ogg" },
} as const satisfies Record<string, { kind: MediaKind; mediaType: string; extension: string }>;
export type Format = keyof typeof FORMATS;

/** How many leading bytes `sniff` looks at (an ISO BMFF `ftyp` box lists its brands there). */
export const SNIFF_BYTES = 256;

/** The bytes of an ASCII string, to compare with. */
const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** Whether `bytes` holds `expected` at `offset`. */
export function startsWith(bytes: Uint8Array, expected: Uint8Array | string, offset = 0): boolean {
  const want = typeof expected === "string" ? ascii(expected) : expected;
  if (offset + want.length > bytes.length) return false;
  return want.every((b, i) => bytes[offset + i] === b);
}

/** The four-character code at `offset` (an ISO BMFF box type or brand, a RIFF chunk id). */
export function fourcc(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + 4));
}

/** Brands of an ISO BMFF file that make it an MP4 video a browser plays. */
const MP4_BRANDS = new Set([
  "isom",
  "iso2",
  "iso4",
  "iso5",
  "iso6",
  "mp41",
  "mp42",
  "avc1",
  "M4V ",
  "mmp4",
  "dash",
  "MSNV",
]);
/** Brands of an AVIF image (a still or a sequence). */
const AVIF_BRANDS = new Set(["avif", "avis"]);
/** Brands that say "something else" even when an MP4 brand is listed as compatible. */
const OTHER_BRANDS = new Set(["qt  ", "M4A ", "M4B ", "M4P ", "heic", "heix", "hevc", "heim"]);

/** An ISO BMFF file by its `ftyp` box: AVIF, MP4, or neither (HEIC, QuickTime, M4A...). */
function isoFormat(head: Uint8Array): Format | undefined {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const size = Math.min(view.getUint32(0), head.length);
  const major = fourcc(head, 8);
  const brands = [major];
  for (let at = 16; at + 4 <= size; at += 4) brands.push(fourcc(head, at));
  if (brands.some((b) => AVIF_BRANDS.has(b))) return "avif";
  if (OTHER_BRANDS.has(major)) return undefined;
  return brands.some((b) => MP4_BRANDS.has(b)) ? "mp4" : undefined;
}

/** An EBML file's `DocType` (0x4282) from its header: `webm`, `matroska`, or undefined. */
function ebmlDocType(head: Uint8Array): string | undefined {
  for (let at = 4; at + 3 < head.length; at++) {
    if (head[at] !== 0x42 || head[at + 1] !== 0x82) continue;
    const size = (head[at + 2] ?? 0) & 0x7f;
    if (((head[at + 2] ?? 0) & 0x80) === 0 || size > 16) return undefined;
    return String.fromCharCode(...head.subarray(at + 3, at + 3 + size)).replace(/\0+$/, "");
  }
  return undefined;
}

/**
 * An MPEG audio frame header: the 11-bit sync, a valid version, Layer III, a bitrate and a
 * sample rate that exist. (ADTS AAC has layer 0 and is not taken.)
 */
export function isMp3Frame(bytes: Uint8Array, at: number): boolean {
  const [b0, b1, b2] = [bytes[at], bytes[at + 1], bytes[at + 2]];
  if (b0 !== 0xff || b1 === undefined || b2 === undefined) return false;
  const sync = (b1 & 0xe0) === 0xe0;
  const version = (b1 >> 3) & 3;
  const layer = (b1 >> 1) & 3;
  const bitrate = b2 >> 4;
  const rate = (b2 >> 2) & 3;
  return sync && version !== 1 && layer === 1 && bitrate !== 0 && bitrate !== 15 && rate !== 3;
}

/** The format of a file by its first bytes (`SNIFF_BYTES` of them are enough), if one we take. */
export function sniff(head: Uint8Array): Format | undefined {
  if (startsWith(head, new Uint8Array([0xff, 0xd8, 0xff]))) return "jpeg";
  if (startsWith(head, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return "png";
  if (startsWith(head, "GIF87a") || startsWith(head, "GIF89a")) return "gif";
  if (startsWith(head, "RIFF") && startsWith(head, "WEBP", 8)) return "webp";
  if (head.length >= 16 && startsWith(head, "ftyp", 4)) return isoFormat(head);
  if (startsWith(head, new Uint8Array([0x1a, 0x45, 0xdf, 0xa3]))) {
    return ebmlDocType(head) === "webm" ? "webm" : undefined;
  }
  if (startsWith(head, "OggS") && head[4] === 0) return "ogg";
  if (startsWith(head, "ID3") || isMp3Frame(head, 0)) return "mp3";
  return undefined;
}
