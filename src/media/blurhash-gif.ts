/**
 * A GIF's first frame for its blurhash: its LZW data decoded here (GIF's variant, codes of
 * up to 12 bits) and each row averaged into a grid as it is finished.
 */
import { Grid } from "./blurhash-grid";
import { walkGif } from "./strip-images";

/** The sub-blocks' data from `at` on, joined. */
function joinSubBlocks(bytes: Uint8Array, from: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let at = from; ; ) {
    const size = bytes[at] ?? 0;
    if (size === 0) break;
    parts.push(bytes.subarray(at + 1, at + 1 + size));
    total += size;
    at += 1 + size;
  }
  const out = new Uint8Array(total);
  let written = 0;
  for (const part of parts) {
    out.set(part, written);
    written += part.length;
  }
  return out;
}

/** GIF's LZW codes are of up to 12 bits: no string is longer than this. */
const MAX_CODES = 4096;

/** Decodes GIF LZW data into `pixels` colour indices; stops when they are all written. */
function lzw(data: Uint8Array, minCodeSize: number, pixels: Uint8Array) {
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  const prefix = new Int16Array(MAX_CODES);
  const suffix = new Uint8Array(MAX_CODES);
  const first = new Uint8Array(MAX_CODES);
  const stack = new Uint8Array(MAX_CODES + 1);
  for (let i = 0; i < clear; i++) [suffix[i], first[i]] = [i, i];
  let size = minCodeSize + 1;
  let next = end + 1;
  let previous = -1;
  let bits = 0;
  let buffer = 0;
  let out = 0;
  for (let at = 0; out < pixels.length; ) {
    while (bits < size && at < data.length) {
      buffer |= (data[at++] ?? 0) << bits;
      bits += 8;
    }
    if (bits < size) break;
    const code = buffer & ((1 << size) - 1);
    buffer >>>= size;
    bits -= size;
    if (code === clear) {
      [size, next, previous] = [minCodeSize + 1, end + 1, -1];
      continue;
    }
    if (code === end) break;
    // A code not yet in the table (but the next one), or a first code after a clear that is
    // not a colour, is no GIF: taken, it could chain an entry to itself.
    if (code > next) break;
    if (previous === -1) {
      if (code >= clear) break;
      pixels[out++] = code;
      previous = code;
      continue;
    }
    let depth = 0;
    let current = code;
    if (code === next) {
      stack[depth++] = first[previous] ?? 0;
      current = previous;
    }
    while (current >= clear && depth < MAX_CODES) {
      stack[depth++] = suffix[current] ?? 0;
      current = prefix[current] ?? 0;
    }
    stack[depth++] = current;
    if (next < MAX_CODES) {
      prefix[next] = previous;
      suffix[next] = current;
      first[next] = first[previous] ?? 0;
      next += 1;
      if (next === 1 << size && size < 12) size += 1;
    }
    while (depth > 0 && out < pixels.length) pixels[out++] = stack[--depth] ?? 0;
    previous = code;
  }
}

/** The rows of an interlaced image, in the order they are stored. */
function interlacedRows(height: number): number[] {
  const rows: number[] = [];
  for (const [start, step] of [
    [0, 8],
    [4, 8],
    [2, 4],
    [1, 2],
  ] as const) {
    for (let y = start; y < height; y += step) rows.push(y);
  }
  return rows;
}

/**
 * The GIF's first frame averaged into a grid, or undefined when it has none or when the
 * frame (whose size its own descriptor gives, whatever the screen's) has over `maxPixels`.
 */
export function gifGrid(bytes: Uint8Array, maxPixels: number): Grid | undefined {
  const { layout } = walkGif(bytes, () => true);
  const at = layout.firstImage;
  if (at === undefined) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint16(at + 5, true);
  const height = view.getUint16(at + 7, true);
  const flags = bytes[at + 9] ?? 0;
  const local = (flags & 0x80) !== 0;
  const tableSize = (f: number) => 3 * 2 ** ((f & 7) + 1);
  const palette = local
    ? bytes.subarray(at + 10, at + 10 + tableSize(flags))
    : bytes.subarray(13, 13 + tableSize(bytes[10] ?? 0));
  const data = at + 10 + (local ? tableSize(flags) : 0);
  if (width === 0 || height === 0 || width * height > maxPixels) return undefined;
  const minCodeSize = bytes[data] ?? 8;
  if (minCodeSize < 1 || minCodeSize > 11) return undefined;
  const pixels = new Uint8Array(width * height);
  lzw(joinSubBlocks(bytes, data + 1), minCodeSize, pixels);
  const grid = new Grid(width, height);
  const order = (flags & 0x40) !== 0 ? interlacedRows(height) : undefined;
  for (let stored = 0; stored < height; stored++) {
    const y = order?.[stored] ?? stored;
    if (!grid.wants(y)) continue;
    grid.addRow(y, (x, out) => {
      const index = (pixels[stored * width + x] ?? 0) * 3;
      out[0] = palette[index] ?? 0;
      out[1] = palette[index + 1] ?? 0;
      out[2] = palette[index + 2] ?? 0;
    });
  }
  return grid;
}
