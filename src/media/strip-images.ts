/**
 * PNG, WebP and GIF without their metadata, and without re-encoding: only the chunks or
 * blocks that draw the picture (or change how it looks: colour profile, gamma, looping)
 * are kept, copied as they are; everything else (text, Exif, XMP, dates, C2PA manifests,
 * private chunks, other applications' data) and what trails the end of the image is left
 * out. An allow-list, so that a kind of metadata no one listed does not slip through.
 */
import { Kept, partCounter } from "./kept";
import { fourcc, startsWith } from "./sniff";
import { Malformed } from "./strip-malformed";

/**
 * The PNG chunks that draw the picture or change how it looks: the critical ones, colour
 * (transparency, gamma, chromaticities, sRGB, ICC profile, coding-independent code points,
 * significant bits, background), pixel size, and APNG's animation.
 */
const PNG_KEPT = new Set([
  "IHDR",
  "PLTE",
  "IDAT",
  "IEND",
  "tRNS",
  "gAMA",
  "cHRM",
  "sRGB",
  "iCCP",
  "cICP",
  "sBIT",
  "pHYs",
  "bKGD",
  "acTL",
  "fcTL",
  "fdAT",
]);

/** A PNG with only the chunks that draw it; what follows `IEND` is dropped. */
export function stripPng(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (fourcc(bytes, 12) !== "IHDR") throw new Malformed("the PNG does not start with IHDR");
  const kept = new Kept();
  kept.add(0, 8);
  const chunk = partCounter("chunks");
  for (let at = 8; ; ) {
    chunk();
    const type = fourcc(bytes, at + 4);
    const end = at + 12 + view.getUint32(at);
    if (end > bytes.length) throw new Malformed(`the PNG chunk ${type} runs past the end`);
    if (PNG_KEPT.has(type)) kept.add(at, end);
    if (type === "IEND") break;
    at = end;
  }
  return kept.gather(bytes);
}

/** The WebP chunks that draw the picture: the bitstreams, alpha, animation, ICC profile. */
const WEBP_KEPT = new Set(["VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF", "ICCP"]);

/** VP8X flags that announce Exif and XMP chunks. */
const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

/** A WebP with only the chunks that draw it, its VP8X flags and RIFF size made true again. */
export function stripWebp(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const riffEnd = Math.min(8 + view.getUint32(4, true), bytes.length);
  const kept = new Kept();
  kept.add(0, 12);
  const chunk = partCounter("chunks");
  /** Where the VP8X flags land in the copy. */
  let vp8x: number | undefined;
  for (let at = 12; at + 8 <= riffEnd; ) {
    chunk();
    const type = fourcc(bytes, at);
    const size = view.getUint32(at + 4, true);
    const end = at + 8 + size + (size % 2);
    if (at + 8 + size > riffEnd) throw new Malformed(`the WebP chunk ${type} runs past the end`);
    if (WEBP_KEPT.has(type)) {
      if (type === "VP8X") vp8x = kept.length + 8;
      kept.add(at, Math.min(end, riffEnd));
    }
    at = end;
  }
  const out = kept.gather(bytes);
  const outView = new DataView(out.buffer);
  outView.setUint32(4, out.length - 8, true);
  if (vp8x !== undefined) out[vp8x] = (out[vp8x] ?? 0) & ~(VP8X_EXIF | VP8X_XMP);
  return out;
}

/** The end of a GIF's data sub-blocks (each a length byte then data, ended by a zero). */
function subBlocksEnd(bytes: Uint8Array, from: number): number {
  let at = from;
  for (;;) {
    const size = bytes[at];
    if (size === undefined) throw new Malformed("the GIF ends inside a block");
    at += 1 + size;
    if (size === 0) return at;
  }
}

/** The size of a colour table its packed flags announce, in bytes (zero when there is none). */
const colourTable = (flags: number) => ((flags & 0x80) === 0 ? 0 : 3 * 2 ** ((flags & 7) + 1));

/** The GIF's parts: where its first image starts, for a decoder (`blurhash-gif.ts`). */
export interface GifLayout {
  /** The offset of the first image descriptor (0x2C), if there is one. */
  readonly firstImage?: number;
}

/**
 * Walks a GIF's blocks; `keep` says which extension blocks stay. The kept ranges (what is
 * not left out) and where the first image is.
 */
export function walkGif(
  bytes: Uint8Array,
  keep: (label: number, at: number) => boolean,
): { kept: Kept; layout: GifLayout } {
  const header = 13 + colourTable(bytes[10] ?? 0);
  const kept = new Kept();
  kept.add(0, header);
  const block = partCounter("blocks");
  let firstImage: number | undefined;
  for (let at = header; ; ) {
    block();
    const introducer = bytes[at];
    if (introducer === 0x3b) {
      kept.add(at, at + 1);
      break;
    }
    if (introducer === 0x21) {
      const end = subBlocksEnd(bytes, at + 2);
      if (keep(bytes[at + 1] ?? 0, at)) kept.add(at, end);
      at = end;
    } else if (introducer === 0x2c) {
      firstImage ??= at;
      const data = at + 10 + colourTable(bytes[at + 9] ?? 0);
      const end = subBlocksEnd(bytes, data + 1);
      kept.add(at, end);
      at = end;
    } else {
      throw new Malformed("the GIF holds an unknown block");
    }
  }
  return { kept, layout: firstImage === undefined ? {} : { firstImage } };
}

/** Graphic control: a frame's delay, disposal and transparent colour. */
const GRAPHIC_CONTROL = 0xf9;
const APPLICATION = 0xff;
/** Application extensions that change how the GIF plays or looks: looping, ICC profile. */
const GIF_APPLICATIONS = ["NETSCAPE2.0", "ANIMEXTS1.0", "ICCRGBG1012"];

/** Whether an extension block is one the picture needs. */
function keepGifExtension(bytes: Uint8Array, label: number, at: number): boolean {
  if (label === GRAPHIC_CONTROL) return true;
  if (label !== APPLICATION || bytes[at + 2] !== 11) return false;
  return GIF_APPLICATIONS.some((name) => startsWith(bytes, name, at + 3));
}

/**
 * A GIF with its frames, their timing, its looping and its colour profile; comments, XMP,
 * plain text and other applications' blocks (ImageMagick's IPTC and 8BIM) are left out.
 */
export function stripGif(bytes: Uint8Array): Uint8Array {
  const { kept } = walkGif(bytes, (label, at) => keepGifExtension(bytes, label, at));
  return kept.gather(bytes);
}
