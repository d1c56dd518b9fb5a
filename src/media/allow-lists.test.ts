/**
 * Stripping by allow-list: what no list of metadata names (C2PA manifests, private chunks,
 * other applications' blocks, cameras' own boxes) is left out all the same, and the picture
 * is copied as it was.
 */
import { describe, expect, it } from "vitest";
import {
  avifWithXmp,
  bytesOf,
  c2paBox,
  gifApplication,
  pngChunk,
  pngChunkData,
  pngSampleWith,
  webm,
  webmInfo,
} from "../../test/fixtures/media/crafted";
import { samples, text } from "../../test/fixtures/media/index";
import { BLURHASH_LIMITS } from "./blurhash";
import { gifGrid } from "./blurhash-gif";
import { pngGrid } from "./blurhash-png";
import { stripMetadata } from "./strip";

describe("stripping by allow-list", () => {
  it("drops a PNG's private and C2PA (caBX) chunks, keeps what draws it, IDAT byte for byte", async () => {
    const png = pngSampleWith(
      pngChunk("prVt", "private: Jane's phone"),
      pngChunk("caBX", "c2pa manifest: Jane Doe"),
      pngChunk("sRGB", [0]),
    );
    const { bytes } = stripMetadata("png", png);
    for (const gone of ["prVt", "caBX", "Jane", "tEXt", "eXIf"]) {
      expect(text(bytes), gone).not.toContain(gone);
    }
    for (const kept of ["IHDR", "gAMA", "cHRM", "bKGD", "sRGB", "IDAT", "IEND"]) {
      expect(pngChunkData(bytes, kept), kept).toBe(pngChunkData(png, kept));
    }
    expect(await pngGrid(bytes)).toBeDefined();
  });

  it("drops a WebP's unknown chunks, keeps its bitstream, and fixes its size", () => {
    const webp = bytesOf(samples.webp(), "XYZW\x04\0\0\0Jane");
    new DataView(webp.buffer).setUint32(4, webp.length - 8, true);
    const { bytes } = stripMetadata("webp", webp);
    expect(text(bytes)).not.toContain("Jane");
    expect(text(bytes)).not.toContain("XYZW");
    expect(text(bytes)).toContain("VP8 ");
    expect(new DataView(bytes.buffer).getUint32(4, true)).toBe(bytes.length - 8);
  });

  it("drops a GIF's IPTC, 8BIM and unknown application blocks, keeps looping and its frames", () => {
    const sample = samples.gif();
    const header = 13 + 3 * 2 ** (((sample[10] ?? 0) & 7) + 1);
    const icc = gifApplication("ICCRGBG1012", "icc profile");
    const gif = bytesOf(
      sample.subarray(0, header),
      gifApplication("MGKIPTC0000", "Jane Doe, by-line"),
      gifApplication("MGK8BIM0000", "photoshop: Jane"),
      gifApplication("XYZW1234abc", "Jane"),
      icc,
      sample.subarray(header),
    );
    const { bytes } = stripMetadata("gif", gif);
    for (const gone of ["MGKIPTC", "MGK8BIM", "XYZW", "Jane", "gif comment"]) {
      expect(text(bytes), gone).not.toContain(gone);
    }
    // What is left: the sample as stripped (its loop, its frames byte for byte), and the ICC.
    const plain = stripMetadata("gif", samples.gif()).bytes;
    expect(text(plain)).toContain("NETSCAPE2.0");
    expect(text(bytes)).toBe(
      text(plain.subarray(0, header)) + text(icc) + text(plain.subarray(header)),
    );
    expect(gifGrid(bytes, BLURHASH_LIMITS.gif)).toBeDefined();
  });

  it("blanks an MP4's top-level uuid boxes (C2PA), in place", () => {
    const mp4 = bytesOf(samples.mp4(), c2paBox("c2pa manifest: Jane Doe"));
    const { bytes } = stripMetadata("mp4", mp4);
    expect(bytes.length).toBe(mp4.length);
    expect(text(bytes)).not.toContain("Jane");
    expect(text(bytes.subarray(-(8 + 16 + 23)))).toMatch(/^\0\0\0\x2ffree\0+$/);
    expect(text(bytes)).toContain("moov");
  });

  it("zeroes an AVIF's XMP item (a mime item, whatever its name)", () => {
    const avif = avifWithXmp("<x:xmpmeta>Jane Doe</x:xmpmeta>");
    const { bytes } = stripMetadata("avif", avif);
    expect(bytes.length).toBe(avif.length);
    expect(text(bytes)).not.toContain("Jane");
    expect(text(bytes)).toContain("application/rdf+xml");
  });

  it("blanks a WebM's date (DateUTC) with its title, in place", () => {
    const file = webm(webmInfo("\x09\x8a\x1b\x3c\x4d\x5e\x6f\x70", "Jane"));
    const { bytes } = stripMetadata("webm", file);
    expect(bytes.length).toBe(file.length);
    expect(text(bytes)).not.toContain("Jane");
    expect(text(bytes)).not.toContain("\x8a\x1b\x3c\x4d");
  });
});
