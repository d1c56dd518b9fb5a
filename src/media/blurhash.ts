/**
 * A blurhash where one fits the Worker's CPU budget (see `bench/media.mjs` for what each
 * costs): a JPEG's Exif thumbnail (about 160 × 120, whatever the photo's size), a small
 * JPEG itself, a PNG or a GIF's first frame up to a few megapixels. Nothing is decoded for
 * WebP and AVIF (no decoder small enough in JavaScript), video or sound: they get none, and
 * clients show a plain placeholder, as they do for Mastodon's files without one.
 */
import { decode } from "jpeg-js";
import { gifGrid } from "./blurhash-gif";
import { encodeGrid, Grid } from "./blurhash-grid";
import { pngGrid } from "./blurhash-png";
import type { Dimensions } from "./dimensions";
import type { Format } from "./sniff";
import type { Stripped } from "./strip";

/**
 * The largest pictures decoded whole for a blurhash, in pixels. Measured (`npm run
 * bench:media`, CPU ms warm / in a new isolate): a 160 × 120 Exif thumbnail 10 / 33, a
 * 512 × 512 JPEG 23 / 36, a 1 MP PNG 28 / 33 and a 4 MP one 85 / 129, a 1 MP GIF 20 / 23 and
 * a 4 MP one 60 / 81. So about a tenth of a second at most, against the 30 s a paid Worker
 * (which Queues need) may spend on a request.
 */
export const BLURHASH_LIMITS = {
  /** A JPEG without an Exif thumbnail: jpeg-js decodes every pixel (about 90 ns each). */
  jpeg: 512 * 512,
  /** Inflated natively; only the unfiltering is JavaScript (about 21 ns a pixel). */
  png: 4_000_000,
  /** LZW in JavaScript (about 15 ns a pixel). */
  gif: 4_000_000,
} as const;

/** The largest Exif thumbnail decoded (they are 160 × 120, sometimes 640 × 480). */
const THUMBNAIL_MEGAPIXELS = 0.5;

/** A JPEG's pixels averaged into a grid (jpeg-js, bounded in size and memory). */
function jpegGrid(bytes: Uint8Array): Grid {
  const image = decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    maxResolutionInMP: THUMBNAIL_MEGAPIXELS,
    maxMemoryUsageInMB: 16,
  });
  const grid = new Grid(image.width, image.height);
  for (let y = 0; y < image.height; y++) {
    if (!grid.wants(y)) continue;
    const row = y * image.width * 4;
    grid.addRow(y, (x, out) => {
      out[0] = image.data[row + x * 4] ?? 0;
      out[1] = image.data[row + x * 4 + 1] ?? 0;
      out[2] = image.data[row + x * 4 + 2] ?? 0;
    });
  }
  return grid;
}

/** What the picture is made of: the pixels to average, and how they are turned. */
async function gridOf(
  format: Format,
  stripped: Stripped,
  pixels: number,
): Promise<{ grid: Grid; orientation: number } | undefined> {
  const plain = (grid: Grid | undefined) => grid && { grid, orientation: 1 };
  if (format === "jpeg") {
    const source =
      stripped.thumbnail ?? (pixels <= BLURHASH_LIMITS.jpeg ? stripped.bytes : undefined);
    return source && { grid: jpegGrid(source), orientation: stripped.orientation };
  }
  if (format === "png" && pixels <= BLURHASH_LIMITS.png)
    return plain(await pngGrid(stripped.bytes));
  if (format === "gif" && pixels <= BLURHASH_LIMITS.gif)
    return plain(gifGrid(stripped.bytes, BLURHASH_LIMITS.gif));
  return undefined;
}

/**
 * The file's blurhash, or undefined where none fits the budget or the pixels could not be
 * read (a blurhash is a nicety: its failure never refuses an upload).
 */
export async function blurhashOf(
  format: Format,
  stripped: Stripped,
  size: Dimensions | undefined,
): Promise<string | undefined> {
  if (size === undefined) return undefined;
  try {
    const made = await gridOf(format, stripped, size.width * size.height);
    return made && encodeGrid(made.grid, made.orientation);
  } catch {
    return undefined;
  }
}
