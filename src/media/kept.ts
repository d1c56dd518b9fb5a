/**
 * What a walk over a file keeps, held in bounded memory: the kept byte ranges, adjacent
 * ones merged as they come (a file of a million kept segments is one range), and a count of
 * the parts walked (segments, chunks, blocks, boxes, elements), past which the file is
 * refused as malformed: no real picture or video has that many, and each costs time.
 */
import { Malformed } from "./strip-malformed";

/** The most parts a walk takes (real files have a few, or thousands for long animations). */
export const MAX_PARTS = 100_000;

/** A counter of a walk's parts: call it once a part; it throws `Malformed` past the bound. */
export function partCounter(what: string): () => void {
  let count = 0;
  return () => {
    count += 1;
    if (count > MAX_PARTS) throw new Malformed(`the file has more than ${MAX_PARTS} ${what}`);
  };
}

/** The `[from, to)` ranges of a file that are kept, in order. */
export class Kept {
  /** From, to, from, to... */
  readonly #ranges: number[] = [];
  /** The bytes kept so far. */
  length = 0;

  add(from: number, to: number) {
    const last = this.#ranges.length - 1;
    if (last > 0 && this.#ranges[last] === from) this.#ranges[last] = to;
    else this.#ranges.push(from, to);
    this.length += to - from;
  }

  /** How many ranges are held, once adjacent ones are merged. */
  get ranges(): number {
    return this.#ranges.length / 2;
  }

  /** The kept bytes copied into one new array, `insert` put in at its place in the copy. */
  gather(bytes: Uint8Array, insert?: { at: number; bytes: Uint8Array }): Uint8Array {
    const out = new Uint8Array(this.length + (insert?.bytes.length ?? 0));
    let written = 0;
    const put = (part: Uint8Array) => {
      out.set(part, written);
      written += part.length;
    };
    for (let i = 0; i < this.#ranges.length; i += 2) {
      const from = this.#ranges[i] ?? 0;
      const to = this.#ranges[i + 1] ?? 0;
      const split = insert && written <= insert.at && insert.at < written + to - from;
      if (split) {
        const middle = from + insert.at - written;
        put(bytes.subarray(from, middle));
        put(insert.bytes);
        put(bytes.subarray(middle, to));
      } else {
        put(bytes.subarray(from, to));
      }
    }
    if (insert && written < out.length) put(insert.bytes); // at the very end
    return out;
  }
}
