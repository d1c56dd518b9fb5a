/**
 * A file whose structure cannot be walked (truncated, or not what its first bytes said):
 * the stripping and the reading of headers throw it, and the upload is refused (422) with
 * its reason rather than stored with metadata no one could remove.
 */
export class Malformed extends Error {
  override readonly name = "Malformed";
}

/** Runs a walk over a file's bytes; a read past the end (`RangeError`) is a `Malformed` file. */
export function walking<T>(walk: () => T): T {
  try {
    return walk();
  } catch (error) {
    if (error instanceof RangeError) throw new Malformed("the file ends too soon");
    throw error;
  }
}
