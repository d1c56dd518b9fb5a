/**
 * What a blurhash is made from: a picture averaged down to a small grid as its decoder
 * hands over rows (so that a large picture is never held whole), turned by its orientation,
 * then encoded as Mastodon does (4 × 4 components).
 */
import { encode } from "blurhash";

/** The grid's longer side: a blurhash of 4 × 4 components needs no more. */
const GRID = 32;
/** Mastodon's components (`BLURHASH_OPTIONS`). */
const COMPONENTS = 4;

/** Averages a picture's pixels into cells. */
export class Grid {
  readonly width: number;
  readonly height: number;
  readonly #sums: Float64Array;
  readonly #counts: Uint32Array;
  /** The cell column of each source column. */
  readonly #columns: Uint16Array;
  readonly #sourceHeight: number;

  constructor(sourceWidth: number, sourceHeight: number) {
    const scale = Math.min(1, GRID / Math.max(sourceWidth, sourceHeight));
    this.width = Math.max(1, Math.round(sourceWidth * scale));
    this.height = Math.max(1, Math.round(sourceHeight * scale));
    this.#sourceHeight = sourceHeight;
    this.#sums = new Float64Array(this.width * this.height * 3);
    this.#counts = new Uint32Array(this.width * this.height);
    this.#columns = Uint16Array.from({ length: sourceWidth }, (_, x) =>
      Math.min(this.width - 1, Math.floor((x * this.width) / sourceWidth)),
    );
  }

  /**
   * Adds source row `y`: `rgb(x)` writes pixel x's red, green and blue into `out`. Only
   * every `step`-th pixel is read: the low frequencies a blurhash keeps do not need all.
   */
  addRow(y: number, rgb: (x: number, out: Uint8Array) => void) {
    const row = Math.min(this.height - 1, Math.floor((y * this.height) / this.#sourceHeight));
    const step = Math.max(1, Math.floor(this.#columns.length / (this.width * 4)));
    const pixel = new Uint8Array(3);
    for (let x = 0; x < this.#columns.length; x += step) {
      rgb(x, pixel);
      const cell = row * this.width + (this.#columns[x] ?? 0);
      this.#sums[cell * 3] = (this.#sums[cell * 3] ?? 0) + (pixel[0] ?? 0);
      this.#sums[cell * 3 + 1] = (this.#sums[cell * 3 + 1] ?? 0) + (pixel[1] ?? 0);
      this.#sums[cell * 3 + 2] = (this.#sums[cell * 3 + 2] ?? 0) + (pixel[2] ?? 0);
      this.#counts[cell] = (this.#counts[cell] ?? 0) + 1;
    }
  }

  /** Whether source row `y` is worth reading (a grid row gets a few source rows at most). */
  wants(y: number): boolean {
    const step = Math.max(1, Math.floor(this.#sourceHeight / (this.height * 4)));
    return y % step === 0;
  }

  /** The grid as RGBA pixels (an empty cell takes its left neighbour's colour). */
  rgba(): Uint8ClampedArray {
    const out = new Uint8ClampedArray(this.width * this.height * 4);
    for (let cell = 0; cell < this.width * this.height; cell++) {
      const count = this.#counts[cell] ?? 0;
      const from = count > 0 ? cell : Math.max(0, cell - 1);
      const n = Math.max(1, this.#counts[from] ?? 0);
      for (let c = 0; c < 3; c++) out[cell * 4 + c] = (this.#sums[from * 3 + c] ?? 0) / n;
      out[cell * 4 + 3] = 255;
    }
    return out;
  }
}

export interface Picture {
  readonly width: number;
  readonly height: number;
  /** RGBA. */
  readonly data: Uint8ClampedArray;
}

/** Where stored pixel (x, y) of a w × h picture is shown, for each Exif orientation. */
type Size = { readonly w: number; readonly h: number };
const PLACE: Record<number, (x: number, y: number, size: Size) => [number, number]> = {
  2: (x, y, { w }) => [w - 1 - x, y],
  3: (x, y, { w, h }) => [w - 1 - x, h - 1 - y],
  4: (x, y, { h }) => [x, h - 1 - y],
  5: (x, y) => [y, x],
  6: (x, y, { h }) => [h - 1 - y, x],
  7: (x, y, { w, h }) => [h - 1 - y, w - 1 - x],
  8: (x, y, { w }) => [y, w - 1 - x],
};

/** The picture as shown under an Exif orientation (1 to 8). */
export function orient(picture: Picture, orientation: number): Picture {
  const place = PLACE[orientation];
  if (place === undefined) return picture;
  const { width: w, height: h } = picture;
  const turned = orientation >= 5;
  const width = turned ? h : w;
  const data = new Uint8ClampedArray(picture.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [tx, ty] = place(x, y, { w, h });
      data.set(picture.data.subarray((y * w + x) * 4, (y * w + x) * 4 + 4), (ty * width + tx) * 4);
    }
  }
  return { width, height: turned ? w : h, data };
}

/** A grid's blurhash, as shown under `orientation`. */
export function encodeGrid(grid: Grid, orientation = 1): string {
  const shown = orient({ width: grid.width, height: grid.height, data: grid.rgba() }, orientation);
  return encode(shown.data, shown.width, shown.height, COMPONENTS, COMPONENTS);
}
