/**
 * PNG, WebP and GIF without their metadata, and without re-encoding: the chunks or blocks
 * that carry text, Exif, XMP or a date are left out, everything that draws the picture is
 * copied as it is, and what trails the end of the image is dropped.
 */
import { fourcc, startsWith } from "./sniff";
import { Malformed } from "./strip-malformed";

/** Copies the `[from, to)` ranges of `bytes`, in order, into one new array. */
export function gather(bytes: Uint8Array, ranges: readonly (readonly [number, number])[]) {
  const out = new Uint8Array(ranges.reduce((n, [from, to]) => n + to - from, 0));
  let written = 0;
  for (const [from, to] of ranges) {
    out.set(bytes.subarray(from, to), written);
    written += to - from;
  }
  return out;
}

/** PNG chunks that hold metadata: Exif, the three kinds of text (XMP is `iTXt`), the date. */
const PNG_METADATA = new Set(["eXIf", "tEXt", "iTXt", "zTXt", "tIME"]);

/** A PNG without its metadata chunks; what follows `IEND` is dropped. */
export function stripPng(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (fourcc(bytes, 12) !== "IHDR") throw new Malformed("the PNG does not start with IHDR");
  const kept: [number, number][] = [[0, 8]];
  for (let at = 8; ; ) {
    const type = fourcc(bytes, at + 4);
    const end = at + 12 + view.getUint32(at);
    if (end > bytes.length) throw new Malformed(`the PNG chunk ${type} runs past the end`);
    if (!PNG_METADATA.has(type)) kept.push([at, end]);
    if (type === "IEND") break;
    at = end;
  }
  return gather(bytes, kept);
}

/** VP8X flags that announce Exif and XMP chunks. */
const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

/** A WebP without its `EXIF` and `XMP ` chunks, its VP8X flags and RIFF size made true again. */
export function stripWebp(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const riffEnd = Math.min(8 + view.getUint32(4, true), bytes.length);
  const kept: [number, number][] = [[0, 12]];
  /** Where the VP8X flags land in the copy. */
  let vp8x: number | undefined;
  let written = 12;
  for (let at = 12; at + 8 <= riffEnd; ) {
    const type = fourcc(bytes, at);
    const size = view.getUint32(at + 4, true);
    const end = at + 8 + size + (size % 2);
    if (at + 8 + size > riffEnd) throw new Malformed(`the WebP chunk ${type} runs past the end`);
    if (type !== "EXIF" && type !== "XMP ") {
      if (type === "VP8X") vp8x = written + 8;
      kept.push([at, Math.min(end, riffEnd)]);
      written += Math.min(end, riffEnd) - at;
    }
    at = end;
  }
  const out = gather(bytes, kept);
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

/** The GIF's parts: where each image's data starts, for a decoder (`blurhash-gif.ts`). */
export interface GifLayout {
  /** Offsets of the image descriptors (0x2C), in order. */
  readonly images: number[];
}

/**
 * Walks a GIF's blocks; `keep` says which extension blocks stay. The kept ranges (what is
 * not left out) and the offsets of the image descriptors.
 */
export function walkGif(
  bytes: Uint8Array,
  keep: (label: number, at: number) => boolean,
): { kept: [number, number][]; layout: GifLayout } {
  const header = 13 + colourTable(bytes[10] ?? 0);
  const kept: [number, number][] = [[0, header]];
  const images: number[] = [];
  for (let at = header; ; ) {
    const introducer = bytes[at];
    if (introducer === 0x3b) {
      kept.push([at, at + 1]);
      break;
    }
    if (introducer === 0x21) {
      const end = subBlocksEnd(bytes, at + 2);
      if (keep(bytes[at + 1] ?? 0, at)) kept.push([at, end]);
      at = end;
    } else if (introducer === 0x2c) {
      images.push(at);
      const data = at + 10 + colourTable(bytes[at + 9] ?? 0);
      const end = subBlocksEnd(bytes, data + 1);
      kept.push([at, end]);
      at = end;
    } else {
      throw new Malformed("the GIF holds an unknown block");
    }
  }
  return { kept, layout: { images } };
}

/** A GIF without comments and XMP; its animation (NETSCAPE2.0 loop) and frames are kept. */
export function stripGif(bytes: Uint8Array): Uint8Array {
  const isXmp = (at: number) => bytes[at + 2] === 11 && startsWith(bytes, "XMP DataXMP", at + 3);
  const { kept } = walkGif(bytes, (label, at) => label !== 0xfe && !(label === 0xff && isXmp(at)));
  return gather(bytes, kept);
}
