/**
 * Crafted files against the upload pipeline: LZW data that loops, frames larger than their
 * screen, files of many tiny parts, image data that inflates past what its pixels need.
 * Each is answered (a 200 or a 422), promptly and in bounded memory, never by a crash.
 */
import { describe, expect, it } from "vitest";
import {
  bytesOf,
  gif,
  LOOPING_LZW,
  lzwBits,
  manyParts,
  pngWithTail,
} from "../../test/fixtures/media/crafted";
import { samples } from "../../test/fixtures/media/index";
import { BLURHASH_LIMITS, blurhashOf } from "./blurhash";
import { gifGrid } from "./blurhash-gif";
import { pngGrid } from "./blurhash-png";
import { Kept, MAX_PARTS } from "./kept";
import { processBytes } from "./process";
import { stripMetadata } from "./strip";
import { Malformed } from "./strip-malformed";

/** A small seeded generator (mulberry32), so that the mutations are the same each run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("a GIF's LZW data", () => {
  it.each(Object.entries(LOOPING_LZW))("that loops (%s) ends its decoding", (_name, data) => {
    const looping = gif({ screen: [16, 16], data });
    const grid = gifGrid(stripMetadata("gif", looping).bytes, BLURHASH_LIMITS.gif);
    expect(grid?.width).toBe(16);
  });

  it("is not decoded for a frame larger than the limit, whatever the screen says", () => {
    const clear = lzwBits([[4, 3]]);
    const tall = gif({ screen: [1, 1], frame: [4000, 1001], data: clear });
    expect(gifGrid(tall, BLURHASH_LIMITS.gif)).toBeUndefined();
    const small = gif({ screen: [1, 1], frame: [40, 10], data: clear });
    expect(gifGrid(small, BLURHASH_LIMITS.gif)?.width).toBe(32);
  });

  it("mutated at random (a fixed seed) is stripped or refused as Malformed, and never hangs", async () => {
    const next = random(0x5eed);
    const sample = samples.gif();
    let decoded = 0;
    for (let round = 0; round < 400; round++) {
      const bytes = sample.slice();
      const changes = 1 + Math.floor(next() * 4);
      for (let i = 0; i < changes; i++) {
        bytes[6 + Math.floor(next() * (bytes.length - 6))] = Math.floor(next() * 256);
      }
      let stripped: Uint8Array;
      try {
        stripped = stripMetadata("gif", bytes).bytes;
      } catch (error) {
        expect(error, `round ${round}`).toBeInstanceOf(Malformed);
        continue;
      }
      if (gifGrid(stripped, BLURHASH_LIMITS.gif) !== undefined) decoded += 1;
      const processed = await processBytes(bytes, "attachment");
      expect(processed.ok || processed.status, `round ${round}`).toSatisfy(
        (answer) => answer === true || answer === 422,
      );
    }
    expect(decoded).toBeGreaterThan(100);
  });
});

describe("a file of many tiny parts", () => {
  it.each(Object.keys(manyParts))(
    "is refused (422) as %s past the bound on parts, and taken just under it",
    async (format) => {
      const build = manyParts[format] ?? (() => new Uint8Array());
      const over = await processBytes(build(MAX_PARTS + 1), "attachment");
      expect(over).toMatchObject({ ok: false, status: 422 });
      expect(over.ok || over.reason).toMatch(`more than ${MAX_PARTS}`);
      const under = await processBytes(build(MAX_PARTS - 100), "attachment");
      expect(under.ok || under.reason).toBe(true);
    },
  );

  it("keeps adjacent ranges as one, so that kept parts cost no memory each", () => {
    const kept = new Kept();
    for (let at = 0; at < 2_000_000; at += 2) kept.add(at, at + 2);
    kept.add(2_000_004, 2_000_006);
    expect(kept.ranges).toBe(2);
    expect(kept.length).toBe(2_000_002);
    const bytes = Uint8Array.from({ length: 2_000_006 }, (_, i) => i & 255);
    const out = kept.gather(bytes, { at: 3, bytes: bytesOf("xy") });
    expect(Array.from(out.subarray(0, 7))).toEqual([0, 1, 2, 120, 121, 3, 4]);
    expect(Array.from(out.subarray(-3))).toEqual([
      1_999_999 & 255,
      2_000_004 & 255,
      2_000_005 & 255,
    ]);
  });

  it("keeps a JPEG's standalone markers in one range, its picture intact", async () => {
    const { bytes } = stripMetadata("jpeg", manyParts.jpeg?.(50_000) ?? new Uint8Array());
    // SOI, the orientation segment (36 bytes), then the markers.
    expect(Array.from(bytes.subarray(38, 42))).toEqual([0xff, 0x01, 0xff, 0x01]);
    expect(bytes.length).toBe(stripMetadata("jpeg", samples.jpeg()).bytes.length + 100_000);
    expect(bytes.at(-1)).toBe(0xd9);
  });
});

describe("a PNG's image data", () => {
  /** 8 MB of zeros, deflated (about 8 kB), then a checksum that is wrong. */
  async function bomb(): Promise<Uint8Array> {
    const zeros = new Blob([new Uint8Array(8 * 1024 * 1024)]).stream();
    const deflated = zeros.pipeThrough(new CompressionStream("deflate-raw"));
    return bytesOf(new Uint8Array(await new Response(deflated).arrayBuffer()), [1, 2, 3, 4]);
  }

  it("is read no further than its last row: a bomb's gigabytes (and a broken tail) are never inflated", async () => {
    const tail = await bomb();
    expect(tail.length).toBeLessThan(64 * 1024);
    const png = pngWithTail(tail);
    const grid = await pngGrid(png);
    expect(grid && [grid.width, grid.height]).toEqual([4, 4]);
    const processed = await processBytes(png, "attachment");
    expect(processed.ok && processed.file.blurhash).toHaveLength(36);
  });

  it("that breaks before the last row gives no blurhash, and no unhandled rejection", async () => {
    const png = pngWithTail(bytesOf([0xff, 0xff]));
    const view = new DataView(png.buffer);
    view.setUint32(20, 8); // eight rows announced, four in the data
    const stripped = stripMetadata("png", png);
    const size = { width: 4, height: 8 };
    expect(await blurhashOf("png", stripped, size)).toBeUndefined();
    await expect(pngGrid(png)).rejects.toThrow();
  });
});
