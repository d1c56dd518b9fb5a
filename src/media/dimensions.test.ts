import { isBlurhashValid } from "blurhash";
import { describe, expect, it } from "vitest";
import { samples } from "../../test/fixtures/media";
import { blurhashOf } from "./blurhash";
import { Grid, orient } from "./blurhash-grid";
import { dimensionsOf } from "./dimensions";
import type { Format } from "./sniff";
import { stripMetadata } from "./strip";

const described = async (format: Format) => {
  const stripped = stripMetadata(format, samples[format]());
  const size = dimensionsOf(format, stripped.bytes, stripped.orientation);
  return { size, blurhash: await blurhashOf(format, stripped, size) };
};

describe("dimensions", () => {
  it("reads each sample's size from its headers, as shown", async () => {
    const expected: Record<Format, [number, number] | undefined> = {
      // 64 × 48 stored, turned a quarter by its Exif orientation (6).
      jpeg: [48, 64],
      png: [40, 30],
      gif: [24, 16],
      webp: [48, 32],
      avif: [48, 32],
      mp4: [64, 48],
      webm: [64, 48],
      mp3: undefined,
      ogg: undefined,
    };
    for (const [format, size] of Object.entries(expected) as [Format, [number, number]][]) {
      const found = (await described(format)).size;
      expect(found && [found.width, found.height], format).toEqual(size);
    }
  });

  it("gives no size for headers it cannot read, rather than throwing", () => {
    expect(dimensionsOf("png", new Uint8Array(10))).toBeUndefined();
    expect(dimensionsOf("mp4", new Uint8Array(10))).toBeUndefined();
  });
});

describe("blurhash", () => {
  it("is made for a JPEG (from its Exif thumbnail), a PNG and a GIF, and not for the rest", async () => {
    for (const format of ["jpeg", "png", "gif"] as const) {
      const { blurhash } = await described(format);
      expect(blurhash, format).toBeDefined();
      expect(isBlurhashValid(blurhash ?? "").result, format).toBe(true);
      expect(blurhash, format).toHaveLength(36); // 4 × 4 components
    }
    for (const format of ["webp", "avif", "mp4", "webm", "mp3", "ogg"] as const) {
      expect((await described(format)).blurhash, format).toBeUndefined();
    }
  });

  it("follows the picture's colours (the PNG sample is yellow above, purple below)", async () => {
    const { blurhash } = await described("png");
    const { decode } = await import("blurhash");
    const pixels = decode(blurhash ?? "", 4, 4);
    const [r0, g0, b0] = pixels.subarray(0, 3);
    const [r1, g1, b1] = pixels.subarray(12 * 4, 12 * 4 + 3);
    expect(r0).toBeGreaterThan(200);
    expect(g0).toBeGreaterThan(200);
    expect(b0).toBeLessThan(100);
    expect(g1).toBeLessThan(100);
    expect(r1).toBeGreaterThan(b0 ?? 0);
    expect(b1).toBeGreaterThan(b0 ?? 0);
  });

  it("turns the pixels as the Exif orientation says", () => {
    // 2 × 1: red, blue. Orientation 6 (a quarter turn clockwise) puts red on top.
    const data = new Uint8ClampedArray([255, 0, 0, 255, 0, 0, 255, 255]);
    const turned = orient({ width: 2, height: 1, data }, 6);
    expect([turned.width, turned.height]).toEqual([1, 2]);
    expect(Array.from(turned.data)).toEqual([255, 0, 0, 255, 0, 0, 255, 255]);
    const mirrored = orient({ width: 2, height: 1, data }, 2);
    expect(Array.from(mirrored.data)).toEqual([0, 0, 255, 255, 255, 0, 0, 255]);
  });

  it("averages a large picture into a small grid", () => {
    const grid = new Grid(4000, 3000);
    expect([grid.width, grid.height]).toEqual([32, 24]);
    for (let y = 0; y < 3000; y++) {
      if (grid.wants(y)) grid.addRow(y, (_x, out) => out.set([10, 20, 30]));
    }
    expect(Array.from(grid.rgba().subarray(0, 4))).toEqual([10, 20, 30, 255]);
  });
});
