/**
 * A PNG's pixels for its blurhash, row by row: the image data is inflated by the runtime's
 * own `DecompressionStream` (native code), the rows unfiltered here and averaged into a
 * grid as they come, so no more than two rows are held. Interlaced PNGs and grey levels
 * below 8 bits are not read (they get no blurhash).
 */
import { Grid } from "./blurhash-grid";
import { partCounter } from "./kept";
import { fourcc } from "./sniff";

interface Header {
  readonly width: number;
  readonly height: number;
  readonly depth: number;
  readonly colour: number;
  readonly interlaced: boolean;
}

/** Channels per colour type: grey, RGB, palette, grey + alpha, RGBA. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Whether this PNG is one we read: not interlaced, 8 or 16 bits, or a palette of any depth. */
function readable(h: Header): boolean {
  if (h.interlaced || CHANNELS[h.colour] === undefined) return false;
  return h.depth === 8 || h.depth === 16 || (h.colour === 3 && [1, 2, 4].includes(h.depth));
}

/** The PNG's header and palette. */
function headerOf(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header: Header = {
    width: view.getUint32(16),
    height: view.getUint32(20),
    depth: bytes[24] ?? 0,
    colour: bytes[25] ?? 0,
    interlaced: bytes[28] === 1,
  };
  let palette: Uint8Array = new Uint8Array();
  for (const { type, content } of chunks(bytes)) {
    if (type === "PLTE") palette = content;
    if (type === "IDAT") break;
  }
  return { header, palette };
}

/** The PNG's chunks, walked as they are asked for (never listed: there can be many). */
function* chunks(bytes: Uint8Array): Generator<{ type: string; content: Uint8Array }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunk = partCounter("chunks");
  for (let at = 8; at + 12 <= bytes.length; ) {
    chunk();
    const length = view.getUint32(at);
    const type = fourcc(bytes, at + 4);
    yield { type, content: bytes.subarray(at + 8, at + 8 + length) };
    if (type === "IEND") return;
    at += 12 + length;
  }
}

/** The Paeth predictor: whichever of left, up and up-left is closest to their sum. */
function paeth(left: number, up: number, upLeft: number): number {
  const p = left + up - upLeft;
  const pa = Math.abs(p - left);
  const pb = Math.abs(p - up);
  const pc = Math.abs(p - upLeft);
  return pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
}

/** Undoes a row's filter (PNG's five), in place, against the row above (one loop each). */
function unfilter(row: Uint8Array, above: Uint8Array, bpp: number) {
  const n = row.length;
  const at = (a: Uint8Array, i: number) => a[i] ?? 0;
  switch (row[0]) {
    case 1:
      for (let i = 1 + bpp; i < n; i++) row[i] = at(row, i) + at(row, i - bpp);
      break;
    case 2:
      for (let i = 1; i < n; i++) row[i] = at(row, i) + at(above, i);
      break;
    case 3:
      for (let i = 1; i < n; i++) {
        const left = i > bpp ? at(row, i - bpp) : 0;
        row[i] = at(row, i) + ((left + at(above, i)) >> 1);
      }
      break;
    case 4:
      for (let i = 1; i < n; i++) {
        const left = i > bpp ? at(row, i - bpp) : 0;
        const upLeft = i > bpp ? at(above, i - bpp) : 0;
        row[i] = at(row, i) + paeth(left, at(above, i), upLeft);
      }
      break;
  }
}

/** Reads pixel x of an unfiltered row (its filter byte first) as 8-bit RGB. */
function pixelReader(h: Header, palette: Uint8Array) {
  const channels = CHANNELS[h.colour] ?? 1;
  const bytesPer = (channels * h.depth) / 8;
  return (row: Uint8Array, x: number, out: Uint8Array) => {
    if (h.colour === 3) {
      const bit = x * h.depth;
      const byte = row[1 + (bit >> 3)] ?? 0;
      const index = (byte >> (8 - h.depth - (bit & 7))) & ((1 << h.depth) - 1);
      out[0] = palette[index * 3] ?? 0;
      out[1] = palette[index * 3 + 1] ?? 0;
      out[2] = palette[index * 3 + 2] ?? 0;
      return;
    }
    const at = 1 + x * bytesPer;
    const sample = (c: number) => row[at + (c * h.depth) / 8] ?? 0; // the high byte of 16 bits
    const grey = channels <= 2;
    out[0] = sample(0);
    out[1] = grey ? out[0] : sample(1);
    out[2] = grey ? out[0] : sample(2);
  };
}

/**
 * Feeds the PNG's image data to `inflate`, a chunk at a time as it is read (backpressure).
 * Never rejects: a failure here aborts the stream, which the reading sees; a write refused
 * because the reading stopped ends the feeding.
 */
async function feed(bytes: Uint8Array, inflate: DecompressionStream): Promise<void> {
  const writer = inflate.writable.getWriter();
  try {
    for (const { type, content } of chunks(bytes)) {
      if (type === "IDAT") await writer.write(content);
    }
    await writer.close();
  } catch (error) {
    await writer.abort(error).catch(() => undefined);
  }
}

/** The PNG averaged into a grid, or undefined when it is not one we read. */
export async function pngGrid(bytes: Uint8Array): Promise<Grid | undefined> {
  const { header, palette } = headerOf(bytes);
  if (!readable(header) || header.width === 0 || header.height === 0) return undefined;
  const stride = 1 + Math.ceil((header.width * (CHANNELS[header.colour] ?? 1) * header.depth) / 8);
  const bpp = Math.max(1, ((CHANNELS[header.colour] ?? 1) * header.depth) / 8);
  const grid = new Grid(header.width, header.height);
  const read = pixelReader(header, palette);
  let row = new Uint8Array(stride);
  let above = new Uint8Array(stride);
  let filled = 0;
  let y = 0;

  const inflate = new DecompressionStream("deflate");
  const feeding = feed(bytes, inflate);
  const reader = inflate.readable.getReader();
  while (y < header.height) {
    const { done, value } = await reader.read();
    if (done) break;
    for (let at = 0; at < value.length && y < header.height; ) {
      const take = Math.min(stride - filled, value.length - at);
      row.set(value.subarray(at, at + take), filled);
      filled += take;
      at += take;
      if (filled < stride) break;
      unfilter(row, above, bpp);
      if (grid.wants(y)) {
        const current = row;
        grid.addRow(y, (x, out) => read(current, x, out));
      }
      [row, above] = [above, row];
      filled = 0;
      y += 1;
    }
  }
  // Past the last row, what more the data would inflate to (a bomb's gigabytes) is not read.
  await reader.cancel().catch(() => undefined);
  await feeding;
  return y === header.height ? grid : undefined;
}
