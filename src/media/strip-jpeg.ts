/**
 * A JPEG without what it tells of its owner, and without re-encoding: the segments that
 * carry metadata (Exif with its GPS, XMP, Photoshop's IPTC, comments, other applications'
 * data, and whatever trails the image, such as a phone's second pictures) are left out;
 * the picture (tables, frame, scans) is copied byte for byte, as are the JFIF header, the
 * ICC colour profile and Adobe's colour transform, which change how it looks. The Exif
 * orientation changes how it looks too: when it is not 1, a minimal Exif segment holding
 * only it is written back, or phone photos would show sideways.
 */
import { Kept, partCounter } from "./kept";
import { Malformed } from "./strip-malformed";

/** What stripping found on the way. */
export interface StrippedJpeg {
  readonly bytes: Uint8Array;
  /** The Exif orientation (1 to 8); 1 when there was none. */
  readonly orientation: number;
  /** The Exif thumbnail (a small JPEG of its own), when the camera wrote one. */
  readonly thumbnail?: Uint8Array;
}

const SOS = 0xda;
const EOI = 0xd9;
const COM = 0xfe;

/** Markers that stand alone, without a length: TEM and the restart markers. */
const standalone = (marker: number) => marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);

const label = (bytes: Uint8Array, at: number, text: string) =>
  Array.from(text).every((c, i) => bytes[at + i] === c.charCodeAt(0));

/** Whether an application segment is one the picture needs. */
function keepApp(bytes: Uint8Array, marker: number, payload: number): boolean {
  if (marker === 0xe0) return label(bytes, payload, "JFIF\0") || label(bytes, payload, "JFXX\0");
  if (marker === 0xe2) return label(bytes, payload, "ICC_PROFILE\0");
  if (marker === 0xee) return label(bytes, payload, "Adobe");
  return false;
}

/** The end of a scan's entropy-coded data: the next marker that is not a restart or stuffing. */
function scanEnd(bytes: Uint8Array, from: number): number {
  let at = from;
  for (;;) {
    at = bytes.indexOf(0xff, at);
    if (at < 0 || at + 1 >= bytes.length) throw new Malformed("a scan never ends");
    const next = bytes[at + 1] ?? 0;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) at += 1;
    else return at;
  }
}

/** What an Exif segment's TIFF structure holds that we keep or use. */
interface ExifFacts {
  orientation: number;
  thumbnail?: Uint8Array;
}

/** Reads the orientation and the thumbnail of an Exif segment's TIFF data; never throws. */
export function readExif(tiff: Uint8Array): ExifFacts {
  const facts: ExifFacts = { orientation: 1 };
  try {
    const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
    const little = label(tiff, 0, "II");
    if (!little && !label(tiff, 0, "MM")) return facts;
    const u16 = (at: number) => view.getUint16(at, little);
    const u32 = (at: number) => view.getUint32(at, little);
    const entries = (ifd: number) =>
      Array.from({ length: u16(ifd) }, (_, i) => ifd + 2 + i * 12).map((at) => ({
        tag: u16(at),
        value: at + 8,
      }));
    const ifd0 = u32(4);
    const orientation = entries(ifd0).find((e) => e.tag === 0x0112);
    if (orientation !== undefined) {
      const value = u16(orientation.value);
      if (value >= 1 && value <= 8) facts.orientation = value;
    }
    const ifd1 = u32(ifd0 + 2 + u16(ifd0) * 12);
    if (ifd1 === 0) return facts;
    const ifd1Entries = entries(ifd1);
    const start = ifd1Entries.find((e) => e.tag === 0x0201);
    const length = ifd1Entries.find((e) => e.tag === 0x0202);
    if (start === undefined || length === undefined) return facts;
    const from = u32(start.value);
    const thumbnail = tiff.subarray(from, from + u32(length.value));
    if (thumbnail[0] === 0xff && thumbnail[1] === 0xd8) facts.thumbnail = thumbnail;
  } catch {
    // A damaged Exif block: what was read so far stands.
  }
  return facts;
}

/** An APP1 Exif segment holding only the orientation (big-endian TIFF, one entry in IFD0). */
export function orientationSegment(orientation: number): Uint8Array {
  const segment = new Uint8Array(36);
  const view = new DataView(segment.buffer);
  segment.set([0xff, 0xe1]);
  view.setUint16(2, 34);
  segment.set(
    Array.from("Exif\0\0MM", (c) => c.charCodeAt(0)),
    4,
  );
  view.setUint16(12, 42);
  view.setUint32(14, 8); // IFD0 follows the TIFF header
  view.setUint16(18, 1); // one entry
  view.setUint16(20, 0x0112); // Orientation
  view.setUint16(22, 3); // SHORT
  view.setUint32(24, 1); // one value
  view.setUint16(28, orientation);
  view.setUint32(32, 0); // no next IFD
  return segment;
}

/** The JPEG without its metadata; throws `Malformed` for what is not a JPEG we can walk. */
export function stripJpeg(bytes: Uint8Array): StrippedJpeg {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Malformed("no start of image");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kept = new Kept();
  kept.add(0, 2);
  const segment = partCounter("segments");
  let exif: ExifFacts | undefined;
  /** Where the orientation segment goes in the copy: after a leading JFIF segment, else SOI. */
  let insertAt = 2;
  let at = 2;
  for (;;) {
    segment();
    if (bytes[at] !== 0xff) throw new Malformed("a segment does not start with a marker");
    while (bytes[at + 1] === 0xff) at += 1; // fill bytes
    const marker = bytes[at + 1];
    if (marker === undefined) throw new Malformed("the file ends in a marker");
    if (marker === EOI) {
      kept.add(at, at + 2);
      break;
    }
    if (standalone(marker)) {
      kept.add(at, at + 2);
      at += 2;
      continue;
    }
    if (marker === 0xd8 || marker === 0x00) throw new Malformed("an unexpected marker");
    const end = at + 2 + view.getUint16(at + 2);
    if (end > bytes.length) throw new Malformed("a segment runs past the end");
    const isApp = marker >= 0xe0 && marker <= 0xef;
    if (marker === 0xe1 && exif === undefined && label(bytes, at + 4, "Exif\0\0")) {
      exif = readExif(bytes.subarray(at + 10, end));
    }
    if (isApp ? keepApp(bytes, marker, at + 4) : marker !== COM) {
      const first = kept.length === 2;
      kept.add(at, end);
      if (marker === 0xe0 && first) insertAt = kept.length;
    }
    at = marker === SOS ? scanEnd(bytes, end) : end;
    if (marker === SOS) kept.add(end, at);
  }
  const orientation = exif?.orientation ?? 1;
  const out =
    orientation === 1
      ? kept.gather(bytes)
      : kept.gather(bytes, { at: insertAt, bytes: orientationSegment(orientation) });
  return { bytes: out, orientation, ...(exif?.thumbnail ? { thumbnail: exif.thumbnail } : {}) };
}
