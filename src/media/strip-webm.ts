/**
 * WebM (an EBML file) without its metadata, edited in place so that the seek index and the
 * cues stay valid: the segment's `Tags` and `Attachments`, its title and the date it was
 * made (`DateUTC`) become `Void` elements of the same length with their bytes zeroed, which
 * every reader skips.
 */
import { partCounter } from "./kept";
import { Malformed } from "./strip-malformed";

export interface Element {
  readonly id: number;
  readonly start: number;
  readonly content: number;
  /** Where it ends; for an element of unknown size (a live recording's), its container's end. */
  readonly end: number;
  readonly unknownSize: boolean;
}

/** The length of a variable-size integer by its first byte (1 to 8), 0 for an invalid one. */
const vintLength = (first: number) => (first === 0 ? 0 : 8 - Math.floor(Math.log2(first)));

/** The elements between `from` and `to`. */
export function* elements(bytes: Uint8Array, from: number, to: number): Generator<Element> {
  const element = partCounter("elements in one container");
  for (let at = from; at < to; ) {
    element();
    const idLength = vintLength(bytes[at] ?? 0);
    if (idLength === 0 || idLength > 4) throw new Malformed("an EBML id is invalid");
    let id = 0;
    for (let i = 0; i < idLength; i++) id = id * 256 + (bytes[at + i] ?? 0);
    const sizeAt = at + idLength;
    const sizeLength = vintLength(bytes[sizeAt] ?? 0);
    if (sizeLength === 0) throw new Malformed("an EBML size is invalid");
    let size = (bytes[sizeAt] ?? 0) & (0xff >> sizeLength);
    let allOnes = size === 0xff >> sizeLength;
    for (let i = 1; i < sizeLength; i++) {
      const b = bytes[sizeAt + i] ?? 0;
      size = size * 256 + b;
      allOnes &&= b === 0xff;
    }
    const content = sizeAt + sizeLength;
    const end = allOnes ? to : content + size;
    if (content > to || end > to) throw new Malformed("an EBML element runs past its container");
    yield { id, start: at, content, end, unknownSize: allOnes };
    at = end;
  }
}

/** The children of `parent` with an id, in order. */
export function* children(bytes: Uint8Array, parent: Element, id: number): Generator<Element> {
  for (const element of elements(bytes, parent.content, parent.end)) {
    if (element.id === id) yield element;
    if (element.unknownSize) return;
  }
}

export const EBML = {
  segment: 0x18538067,
  info: 0x1549a966,
  title: 0x7ba9,
  dateUtc: 0x4461,
  tracks: 0x1654ae6b,
  trackEntry: 0xae,
  video: 0xe0,
  pixelWidth: 0xb0,
  pixelHeight: 0xba,
  tags: 0x1254c367,
  attachments: 0x1941a469,
  void: 0xec,
} as const;

/** Turns an element into a `Void` of the same length, its bytes zeroed. */
function voidElement(bytes: Uint8Array, element: Element) {
  const total = element.end - element.start;
  const sizeLength = Math.min(8, total - 1);
  const size = total - 1 - sizeLength;
  bytes.fill(0, element.start, element.end);
  bytes[element.start] = EBML.void;
  let rest = size;
  for (let i = sizeLength; i >= 1; i--) {
    bytes[element.start + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  bytes[element.start + 1] = (bytes[element.start + 1] ?? 0) | (0x80 >> (sizeLength - 1));
}

/** The segment of a WebM file, after its EBML header. */
export function segmentOf(bytes: Uint8Array): Element | undefined {
  for (const element of elements(bytes, 0, bytes.length)) {
    if (element.id === EBML.segment) return element;
    if (element.unknownSize) return undefined;
  }
  return undefined;
}

/** Removes a WebM's tags, attachments, title and date, changing `bytes` in place. */
export function stripWebm(bytes: Uint8Array): Uint8Array {
  const segment = segmentOf(bytes);
  if (segment === undefined) throw new Malformed("the WebM file has no segment");
  for (const element of elements(bytes, segment.content, segment.end)) {
    if (element.id === EBML.tags || element.id === EBML.attachments) voidElement(bytes, element);
    if (element.id === EBML.info) {
      for (const info of elements(bytes, element.content, element.end)) {
        if (info.id === EBML.title || info.id === EBML.dateUtc) voidElement(bytes, info);
      }
    }
    // A cluster of unknown size (a live recording) can only be walked through its blocks:
    // such files come from recorders that write no tags.
    if (element.unknownSize) break;
  }
  return bytes;
}
