/**
 * MP4 videos and AVIF images (ISO BMFF files) without their metadata, edited in place so
 * that every offset in the file (the sample tables', the item locations') stays valid:
 * - a video's `udta` and `meta` boxes (where phones write the place a video was shot:
 *   `©xyz`, `loci`, Apple's `com.apple.quicktime.location.ISO6709`), XMP `uuid` boxes and
 *   every top-level `uuid` box (C2PA's manifest, cameras' own) are renamed `free`, which
 *   every reader skips, and their bytes zeroed;
 * - an AVIF's Exif and XMP (`mime`) items keep their place but their bytes are zeroed (the
 *   image's own `meta` box is its structure and stays).
 */
import { partCounter } from "./kept";
import { fourcc } from "./sniff";
import { Malformed } from "./strip-malformed";

export interface Box {
  readonly type: string;
  readonly start: number;
  /** Where its content starts (after the size, type and any 64-bit size). */
  readonly content: number;
  readonly end: number;
}

/** The boxes between `from` and `to`, in order; `Malformed` past `MAX_PARTS` of them. */
export function* boxes(bytes: Uint8Array, from: number, to: number): Generator<Box> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const box = partCounter("boxes in one container");
  for (let at = from; at + 8 <= to; ) {
    box();
    const type = fourcc(bytes, at + 4);
    let size = view.getUint32(at);
    let content = at + 8;
    if (size === 1) {
      size = Number(view.getBigUint64(at + 8));
      content += 8;
    } else if (size === 0) {
      size = to - at;
    }
    if (size < content - at || at + size > to) {
      throw new Malformed(`the box ${JSON.stringify(type)} runs past its container`);
    }
    yield { type, start: at, content, end: at + size };
    at += size;
  }
}

/** A box's content, past the `skip` bytes of a full box's version and flags (4) or more. */
export const inside = (box: Box, skip = 0) => ({ from: box.content + skip, to: box.end });

/** The first box of a type within a range, if there is one. */
export function child(
  bytes: Uint8Array,
  range: { from: number; to: number },
  type: string,
): Box | undefined {
  for (const box of boxes(bytes, range.from, range.to)) {
    if (box.type === type) return box;
  }
  return undefined;
}

/** The `uuid` box type that holds XMP. */
const XMP_UUID = "be7acfcb97a942e89c71999491e3afac";

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** Boxes whose children are walked in search of metadata. */
const CONTAINERS = new Set(["moov", "trak", "mdia", "minf", "moof", "traf"]);

/** Renames a box `free` and zeroes what it held (its size stays, so nothing around it moves). */
function free(bytes: Uint8Array, box: Box) {
  bytes.set([0x66, 0x72, 0x65, 0x65], box.start + 4);
  bytes.fill(0, box.content, box.end);
}

/**
 * Renames the metadata boxes in `from..to`: user data, `meta` (but an image's top-level
 * one, its structure: `image`), XMP, and any `uuid` box at the top level (C2PA manifests,
 * cameras' own metadata; nothing a player needs is there).
 */
function renameMetadata(
  bytes: Uint8Array,
  range: { from: number; to: number; image: boolean; top: boolean },
) {
  for (const box of boxes(bytes, range.from, range.to)) {
    const uuid = box.type === "uuid" && hex(bytes.subarray(box.content, box.content + 16));
    const blank =
      box.type === "udta" ||
      (box.type === "meta" && !(range.image && range.top)) ||
      uuid === XMP_UUID ||
      (uuid !== false && range.top);
    if (blank) {
      free(bytes, box);
    } else if (CONTAINERS.has(box.type)) {
      renameMetadata(bytes, { from: box.content, to: box.end, image: range.image, top: false });
    }
  }
}

/** Reads an unsigned integer of 0, 4 or 8 bytes (as ISO BMFF's `iloc` sizes them). */
function readSized(view: DataView, at: number, size: number): number {
  if (size === 0) return 0;
  if (size === 4) return view.getUint32(at);
  if (size === 8) return Number(view.getBigUint64(at));
  throw new Malformed(`an iloc field of ${size} bytes`);
}

/**
 * The ids of an AVIF's metadata items: `Exif`, and `mime` items (XMP's, whatever their
 * content type: no picture is drawn from one).
 */
function metadataItems(bytes: Uint8Array, iinf: Box): Set<number> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = new Set<number>();
  const skip = 4 + (bytes[iinf.content] === 0 ? 2 : 4);
  for (const infe of boxes(bytes, iinf.content + skip, iinf.end)) {
    const version = bytes[infe.content] ?? 0;
    if (infe.type !== "infe" || version < 2) continue;
    const id = version === 2 ? view.getUint16(infe.content + 4) : view.getUint32(infe.content + 4);
    const type = fourcc(bytes, infe.content + (version === 2 ? 8 : 10));
    if (type === "Exif" || type === "mime") found.add(id);
  }
  return found;
}

/** Zeroes the bytes of the items `ids` names, where `iloc` says they are. */
function zeroItems(bytes: Uint8Array, where: { iloc: Box; idat?: Box }, ids: Set<number>) {
  const { iloc, idat } = where;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[iloc.content] ?? 0;
  let at = iloc.content + 4;
  const sizes = view.getUint16(at);
  const [offsetSize, lengthSize, baseSize] = [sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15];
  const indexSize = version === 0 ? 0 : sizes & 15;
  at += 2;
  const count = version < 2 ? view.getUint16(at) : view.getUint32(at);
  at += version < 2 ? 2 : 4;
  const part = partCounter("item locations");
  for (let i = 0; i < count; i++) {
    part();
    const id = version < 2 ? view.getUint16(at) : view.getUint32(at);
    at += version < 2 ? 2 : 4;
    const method = version === 0 ? 0 : view.getUint16(at) & 15;
    at += (version === 0 ? 0 : 2) + 2; // construction method, data reference index
    const base = readSized(view, at, baseSize);
    at += baseSize;
    const extents = view.getUint16(at);
    at += 2;
    for (let e = 0; e < extents; e++) {
      part();
      at += indexSize;
      const offset = readSized(view, at, offsetSize);
      const length = readSized(view, at + offsetSize, lengthSize);
      at += offsetSize + lengthSize;
      if (!ids.has(id) || length === 0) continue;
      const origin = method === 0 ? 0 : method === 1 && idat ? idat.content : undefined;
      if (origin === undefined) continue;
      const from = origin + base + offset;
      if (from + length > bytes.length) throw new Malformed("an item runs past the end");
      bytes.fill(0, from, from + length);
    }
  }
}

/** Zeroes an AVIF's Exif and XMP items, inside its top-level `meta` box. */
function zeroImageMetadata(bytes: Uint8Array, meta: Box) {
  const iinf = child(bytes, inside(meta, 4), "iinf");
  const iloc = child(bytes, inside(meta, 4), "iloc");
  if (iinf === undefined || iloc === undefined) return;
  const ids = metadataItems(bytes, iinf);
  if (ids.size === 0) return;
  const idat = child(bytes, inside(meta, 4), "idat");
  zeroItems(bytes, idat === undefined ? { iloc } : { iloc, idat }, ids);
}

/**
 * Removes an MP4's or AVIF's metadata, changing `bytes` in place (its length never
 * changes); throws `Malformed` for boxes that do not fit.
 */
export function stripIsoBmff(bytes: Uint8Array, image: boolean): Uint8Array {
  renameMetadata(bytes, { from: 0, to: bytes.length, image, top: true });
  if (image) {
    for (const box of boxes(bytes, 0, bytes.length)) {
      if (box.type === "meta") zeroImageMetadata(bytes, box);
    }
  }
  return bytes;
}
