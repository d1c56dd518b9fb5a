/**
 * A zip archive as a stream (fflate's `Zip`): entries are pulled one at a time and their
 * bytes one chunk at a time, only as fast as the reader takes the archive, so that a large
 * archive never sits in the isolate's memory (128 MB). Text is deflated; what is compressed
 * already (pictures, videos) is stored as it is. fflate writes no Zip64: an archive must stay
 * under 4 GiB, which the caller bounds.
 */
import { Zip, ZipDeflate, ZipPassThrough } from "fflate";

export interface ZipEntry {
  /** Its path in the archive, `/`-separated. */
  readonly name: string;
  /** Deflated (text), or stored (already compressed media). */
  readonly deflate: boolean;
  /** Its bytes, a chunk at a time. */
  readonly chunks: AsyncIterable<Uint8Array>;
}

/** The archive of `entries`, in their order, streamed. */
export function zipStream(
  entries: AsyncIterable<ZipEntry>,
  options: { readonly mtime: Date },
): ReadableStream<Uint8Array> {
  const out: Uint8Array[] = [];
  let failure: Error | undefined;
  let ended = false;
  const zip = new Zip((error, data, final) => {
    if (error !== null) failure = error;
    else out.push(data);
    if (final) ended = true;
  });
  const pending = entries[Symbol.asyncIterator]();
  let current: { file: ZipDeflate | ZipPassThrough; chunks: AsyncIterator<Uint8Array> } | undefined;
  let closed = false;

  /** Moves the archive on by one step: an entry opened, a chunk pushed, or the end. */
  async function step(): Promise<void> {
    if (current === undefined) {
      const next = await pending.next();
      if (next.done === true) {
        closed = true;
        zip.end();
        return;
      }
      const { name, deflate, chunks } = next.value;
      const file = deflate ? new ZipDeflate(name, { level: 6 }) : new ZipPassThrough(name);
      file.mtime = options.mtime;
      zip.add(file);
      current = { file, chunks: chunks[Symbol.asyncIterator]() };
      return;
    }
    const chunk = await current.chunks.next();
    if (chunk.done === true) {
      current.file.push(new Uint8Array(0), true);
      current = undefined;
    } else {
      current.file.push(chunk.value);
    }
  }

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        while (out.length === 0 && !closed && failure === undefined) await step();
        if (failure !== undefined) {
          controller.error(failure);
          return;
        }
        for (const data of out.splice(0)) controller.enqueue(data);
        if (closed) {
          if (ended) controller.close();
          else controller.error(new Error("the archive did not end"));
        }
      },
      async cancel() {
        await current?.chunks.return?.();
        await pending.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}
