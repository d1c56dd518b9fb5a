import { describe, expect, it } from "vitest";
import { samples, text } from "../../test/fixtures/media";
import { fourcc } from "./sniff";
import { stripMetadata } from "./strip";
import { readExif } from "./strip-jpeg";
import { Malformed } from "./strip-malformed";

/** The JPEG's segments, as [marker, start, end) (a scan's data included in its SOS). */
function segments(bytes: Uint8Array): [number, number, number][] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: [number, number, number][] = [];
  for (let at = 2; at < bytes.length; ) {
    const marker = bytes[at + 1] ?? 0;
    if (marker === 0xd9) break;
    let end = at + 2 + view.getUint16(at + 2);
    if (marker === 0xda) end = bytes.indexOf(0xd9, end) - 1; // one scan, then EOI
    out.push([marker, at, end]);
    at = end;
  }
  return out;
}

/** A TIFF structure's GPS IFD pointer (tag 0x8825) anywhere in the bytes, as Exif writes it. */
const hasGpsPointer = (bytes: Uint8Array) =>
  text(bytes).includes("\x88\x25\x00\x04") || text(bytes).includes("\x25\x88\x04\x00");

describe("stripping metadata", () => {
  it("drops a JPEG's Exif (GPS), XMP and comment, keeps its orientation, and copies the picture byte for byte", () => {
    const original = samples.jpeg();
    expect(hasGpsPointer(original)).toBe(true);
    expect(text(original)).toContain("Jane Doe");
    const { bytes, orientation, thumbnail } = stripMetadata("jpeg", original);
    expect(hasGpsPointer(bytes)).toBe(false);
    for (const secret of ["Jane Doe", "secret comment", "TestCam", "http://ns.adobe.com/xap"]) {
      expect(text(bytes)).not.toContain(secret);
    }
    expect(orientation).toBe(6);
    expect(thumbnail?.slice(0, 2)).toEqual(new Uint8Array([0xff, 0xd8]));
    // What is left: JFIF, the orientation alone, then the picture's own segments unchanged.
    const markers = (b: Uint8Array) => segments(b).map(([m]) => m.toString(16));
    const [jfif, ...rest] = markers(original).filter((m) => m !== "e1" && m !== "fe");
    expect(markers(bytes)).toEqual([jfif, "e1", ...rest]);
    const exif = bytes.indexOf(0xe1, 2) - 1;
    expect(bytes.subarray(exif + 4, exif + 10)).toEqual(new TextEncoder().encode("Exif\0\0"));
    expect(readExif(bytes.subarray(exif + 10, exif + 36)).orientation).toBe(6);
    const picture = (b: Uint8Array) =>
      segments(b)
        .filter(([m]) => m < 0xe0 || m > 0xef)
        .filter(([m]) => m !== 0xfe)
        .map(([, from, to]) => Array.from(b.subarray(from, to)));
    expect(picture(bytes)).toEqual(picture(original));
    expect(bytes.at(-2)).toBe(0xff);
    expect(bytes.at(-1)).toBe(0xd9);
  });

  it("writes no orientation segment for a JPEG shown as stored", () => {
    const original = samples.jpeg();
    // Orientation 6 → 1, in place (the fixture is big-endian: the value's low byte).
    const at = text(original).indexOf("\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06");
    original[at + 9] = 1;
    const { bytes, orientation } = stripMetadata("jpeg", original);
    expect(orientation).toBe(1);
    expect(text(bytes)).not.toContain("Exif");
  });

  it("drops a PNG's text, XMP and Exif chunks and keeps its image data", () => {
    const original = samples.png();
    expect(text(original)).toContain("hidden");
    const { bytes } = stripMetadata("png", original);
    for (const secret of ["hidden", "Jane", "eXIf", "tEXt", "iTXt", "zTXt", "tIME"]) {
      expect(text(bytes)).not.toContain(secret);
    }
    const idat = (b: Uint8Array) => text(b).slice(text(b).indexOf("IDAT") - 4);
    expect(idat(bytes)).toBe(idat(original));
  });

  it("drops a WebP's EXIF and XMP chunks, clears their VP8X flags and fixes the RIFF size", () => {
    const original = samples.webp();
    expect(text(original)).toContain("EXIF");
    const { bytes } = stripMetadata("webp", original);
    expect(text(bytes)).not.toContain("EXIF");
    expect(text(bytes)).not.toContain("XMP ");
    expect(text(bytes)).not.toContain("Jane");
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getUint32(4, true)).toBe(bytes.length - 8);
    expect(fourcc(bytes, 12)).toBe("VP8X");
    expect((bytes[20] ?? 0) & 0x0c).toBe(0);
    const vp8 = (b: Uint8Array) => {
      const at = text(b).indexOf("VP8 ");
      return text(b).slice(
        at,
        at + 8 + new DataView(b.buffer, b.byteOffset).getUint32(at + 4, true),
      );
    };
    expect(vp8(bytes)).toBe(vp8(original));
  });

  it("drops a GIF's comment and keeps both frames", () => {
    const original = samples.gif();
    const { bytes } = stripMetadata("gif", original);
    expect(text(original)).toContain("gif comment");
    expect(text(bytes)).not.toContain("gif comment");
    expect(text(bytes)).toContain("NETSCAPE2.0");
    expect(bytes.at(-1)).toBe(0x3b);
  });

  it("zeroes an AVIF's Exif item in place", () => {
    const original = samples.avif();
    const length = original.length;
    expect(text(original)).toContain("Cam");
    const { bytes } = stripMetadata("avif", original);
    expect(bytes.length).toBe(length);
    expect(text(bytes)).not.toContain("Cam\0");
    expect(text(bytes)).not.toMatch(/MM\0\*|II\*\0/);
    expect(text(bytes)).toContain("ispe");
  });

  it("blanks an MP4's user data (the place it was shot, its title) without moving anything", () => {
    const original = samples.mp4();
    expect(text(original)).toContain("loci");
    const length = original.length;
    const { bytes } = stripMetadata("mp4", original);
    expect(bytes.length).toBe(length);
    expect(text(bytes)).not.toContain("secret");
    expect(text(bytes)).not.toContain("loci");
    expect(text(bytes)).not.toContain("udta");
    expect(text(bytes)).toContain("mdat");
  });

  it("blanks a WebM's tags and title in place", () => {
    const original = samples.webm();
    expect(text(original)).toContain("secret");
    const length = original.length;
    const { bytes } = stripMetadata("webm", original);
    expect(bytes.length).toBe(length);
    expect(text(bytes)).not.toContain("secret");
  });

  it("cuts an MP3's ID3 tags off, at both ends", () => {
    const original = samples.mp3();
    expect(text(original)).toContain("Jane Doe");
    const { bytes } = stripMetadata("mp3", original);
    expect(text(bytes)).not.toContain("Jane Doe");
    expect(text(bytes)).not.toContain("ID3");
    expect(bytes[0]).toBe(0xff);
    expect(text(bytes.subarray(-128))).not.toMatch(/^TAG/);
  });

  it("throws Malformed for a file cut short", () => {
    for (const format of ["jpeg", "png", "webp", "gif", "mp4"] as const) {
      const bytes = samples[format]();
      expect(() => stripMetadata(format, bytes.subarray(0, 100)), format).toThrow(Malformed);
    }
    expect(() =>
      stripMetadata("mp3", new TextEncoder().encode("ID3\x03\0\0\0\0\0\x05hello")),
    ).toThrow(Malformed);
  });
});
