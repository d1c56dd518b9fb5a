import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { type ZipEntry, zipStream } from "./zip-stream";

const CHUNK = 64 * 1024;

describe("a streamed zip", () => {
  it("pulls its entries' bytes only as the archive is read, and unzips to them", async () => {
    let made = 0;
    async function* chunks(seed: number, count: number): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < count; i++) {
        made++;
        yield new Uint8Array(CHUNK).fill((seed + i) % 256);
      }
    }
    async function* entries(): AsyncGenerator<ZipEntry> {
      yield { name: "a.json", deflate: true, chunks: chunks(1, 40) };
      yield { name: "media/b.bin", deflate: false, chunks: chunks(7, 40) };
    }
    const reader = zipStream(entries(), { mtime: new Date("2026-01-01T00:00:00Z") }).getReader();
    const parts: Uint8Array[] = [];
    const first = await reader.read();
    expect(first.done).toBe(false);
    parts.push(first.value ?? new Uint8Array());
    // One chunk read: a few of the 80 made, not the whole archive.
    expect(made).toBeLessThan(5);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    expect(made).toBe(80);
    const zip = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let offset = 0;
    for (const p of parts) {
      zip.set(p, offset);
      offset += p.byteLength;
    }
    const files = unzipSync(zip);
    expect(Object.keys(files)).toEqual(["a.json", "media/b.bin"]);
    expect(files["a.json"]?.byteLength).toBe(40 * CHUNK);
    expect(files["media/b.bin"]?.[CHUNK * 3]).toBe(10);
    // Stored as it is: the archive is no smaller than what it stores.
    expect(zip.byteLength).toBeGreaterThan(40 * CHUNK);
  });
});
