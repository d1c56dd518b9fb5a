/**
 * A picture's or a video's size in pixels, read from its headers (never by decoding it), as
 * it is shown: a JPEG turned by its Exif orientation, an AVIF by its `irot`, an MP4 by its
 * track matrix, has its width and height swapped, so that clients lay it out right.
 */

import type { Format } from "./sniff";
import { fourcc } from "./sniff";
import { type Box, boxes, child, inside } from "./strip-isobmff";
import { children, EBML, type Element, segmentOf } from "./strip-webm";

export interface Dimensions {
  readonly width: number;
  readonly height: number;
}

const viewOf = (bytes: Uint8Array) =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Start-of-frame markers (every SOFn but DHT, JPG and DAC, which share the range). */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegSize(bytes: Uint8Array): Dimensions | undefined {
  const view = viewOf(bytes);
  for (let at = 2; at + 9 < bytes.length; ) {
    const marker = bytes[at + 1] ?? 0;
    if (bytes[at] !== 0xff || marker === 0xda || marker === 0xd9) return undefined;
    if (isSof(marker)) return { height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
    at += 2 + view.getUint16(at + 2);
  }
  return undefined;
}

function webpSize(bytes: Uint8Array): Dimensions | undefined {
  const view = viewOf(bytes);
  const type = fourcc(bytes, 12);
  const data = 20;
  if (type === "VP8X") {
    const u24 = (at: number) => view.getUint16(at, true) + ((bytes[at + 2] ?? 0) << 16);
    return { width: u24(data + 4) + 1, height: u24(data + 7) + 1 };
  }
  if (type === "VP8 ") {
    return {
      width: view.getUint16(data + 6, true) & 0x3fff,
      height: view.getUint16(data + 8, true) & 0x3fff,
    };
  }
  if (type === "VP8L" && bytes[data] === 0x2f) {
    const bits = view.getUint32(data + 1, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  return undefined;
}

/** The properties (`ipco` children, 1-based) associated with an item in `ipma`. */
function propertiesOf(bytes: Uint8Array, ipma: Box, item: number): number[] {
  const view = viewOf(bytes);
  const version = bytes[ipma.content] ?? 0;
  const wide = ((bytes[ipma.content + 3] ?? 0) & 1) === 1;
  let at = ipma.content + 4;
  const count = view.getUint32(at);
  at += 4;
  for (let i = 0; i < count; i++) {
    const id = version < 1 ? view.getUint16(at) : view.getUint32(at);
    at += version < 1 ? 2 : 4;
    const associations = bytes[at] ?? 0;
    at += 1;
    const indices = Array.from({ length: associations }, (_, j) =>
      wide ? view.getUint16(at + 2 * j) & 0x7fff : (bytes[at + j] ?? 0) & 0x7f,
    );
    at += associations * (wide ? 2 : 1);
    if (id === item) return indices;
  }
  return [];
}

/** The boxes at these positions (1-based) within a range, found in one walk, not listed. */
function boxesAt(bytes: Uint8Array, range: { from: number; to: number }, positions: number[]) {
  const wanted = new Set(positions);
  const found: Box[] = [];
  let index = 0;
  for (const box of boxes(bytes, range.from, range.to)) {
    index += 1;
    if (wanted.has(index)) found.push(box);
    if (found.length === wanted.size) break;
  }
  return found;
}

function avifSize(bytes: Uint8Array): Dimensions | undefined {
  const view = viewOf(bytes);
  const meta = child(bytes, { from: 0, to: bytes.length }, "meta");
  const pitm = meta && child(bytes, inside(meta, 4), "pitm");
  const iprp = meta && child(bytes, inside(meta, 4), "iprp");
  const ipco = iprp && child(bytes, inside(iprp), "ipco");
  const ipma = iprp && child(bytes, inside(iprp), "ipma");
  if (pitm === undefined || ipco === undefined || ipma === undefined) return undefined;
  const primary =
    bytes[pitm.content] === 0 ? view.getUint16(pitm.content + 4) : view.getUint32(pitm.content + 4);
  const own = boxesAt(bytes, inside(ipco), propertiesOf(bytes, ipma, primary));
  const ispe = own.find((p) => p?.type === "ispe");
  if (ispe === undefined) return undefined;
  const size = {
    width: view.getUint32(ispe.content + 4),
    height: view.getUint32(ispe.content + 8),
  };
  const irot = own.find((p) => p?.type === "irot");
  const quarterTurn = irot !== undefined && ((bytes[irot.content] ?? 0) & 1) === 1;
  return quarterTurn ? { width: size.height, height: size.width } : size;
}

function mp4Size(bytes: Uint8Array): Dimensions | undefined {
  const view = viewOf(bytes);
  const moov = child(bytes, { from: 0, to: bytes.length }, "moov");
  if (moov === undefined) return undefined;
  for (const trak of boxes(bytes, moov.content, moov.end)) {
    const tkhd = trak.type === "trak" ? child(bytes, inside(trak), "tkhd") : undefined;
    if (tkhd === undefined) continue;
    const matrix = tkhd.content + 4 + (bytes[tkhd.content] === 1 ? 32 : 20) + 16;
    const width = view.getUint32(matrix + 36) / 65536;
    const height = view.getUint32(matrix + 40) / 65536;
    if (width < 1 || height < 1) continue; // a sound track
    // A quarter turn puts zeros on the matrix's diagonal (a and d).
    const turned = view.getInt32(matrix) === 0 && view.getInt32(matrix + 16) === 0;
    const size = { width: Math.round(width), height: Math.round(height) };
    return turned ? { width: size.height, height: size.width } : size;
  }
  return undefined;
}

function webmSize(bytes: Uint8Array): Dimensions | undefined {
  const segment = segmentOf(bytes);
  const uint = (e: Element) =>
    bytes.subarray(e.content, e.end).reduce((n: number, b: number) => n * 256 + b, 0);
  if (segment === undefined) return undefined;
  for (const tracks of children(bytes, segment, EBML.tracks)) {
    for (const entry of children(bytes, tracks, EBML.trackEntry)) {
      for (const video of children(bytes, entry, EBML.video)) {
        const [width] = children(bytes, video, EBML.pixelWidth);
        const [height] = children(bytes, video, EBML.pixelHeight);
        if (width && height) return { width: uint(width), height: uint(height) };
      }
    }
  }
  return undefined;
}

/** How a format's size is read. */
const READERS: Partial<Record<Format, (bytes: Uint8Array) => Dimensions | undefined>> = {
  jpeg: jpegSize,
  png: (bytes) => ({ width: viewOf(bytes).getUint32(16), height: viewOf(bytes).getUint32(20) }),
  gif: (bytes) => ({
    width: viewOf(bytes).getUint16(6, true),
    height: viewOf(bytes).getUint16(8, true),
  }),
  webp: webpSize,
  avif: avifSize,
  mp4: mp4Size,
  webm: webmSize,
};

/**
 * The size a file is shown at, when its headers tell (none for sound, nor for headers we
 * cannot read: a missing size is better than a refused upload). `orientation` is a JPEG's.
 */
export function dimensionsOf(
  format: Format,
  bytes: Uint8Array,
  orientation = 1,
): Dimensions | undefined {
  let size: Dimensions | undefined;
  try {
    size = READERS[format]?.(bytes);
  } catch {
    return undefined;
  }
  if (size === undefined || !(size.width > 0 && size.height > 0)) return undefined;
  return orientation >= 5 ? { width: size.height, height: size.width } : size;
}
