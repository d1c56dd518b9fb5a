import { describe, expect, it } from "vitest";
import { boundaryOf, MAX_UNSIZED_FILE_BYTES, readUploadForm } from "./media-form";

const BOUNDARY = "XyZ-boundary";
const encode = (text: string) => new TextEncoder().encode(text);

/** A form with fields around a file whose bytes look like the start of a delimiter. */
function formBytes(file: Uint8Array): Uint8Array {
  const parts = [
    encode(
      `preamble\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="description"\r\n\r\nA cat\r\n`,
    ),
    encode(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n`),
    encode("Content-Type: image/jpeg\r\n\r\n"),
    file,
    encode(
      `\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="thumbnail"; filename="t"\r\n\r\nxyz`,
    ),
    encode(
      `\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name=focus\r\n\r\n0.5,0.5\r\n--${BOUNDARY}--\r\n`,
    ),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** How many bytes the last `chunked` request's body handed over. */
let pulled = 0;

/** A request whose body arrives in chunks of `size` bytes, its length declared or not. */
function chunked(body: Uint8Array, size: number, declared?: number): Request {
  let at = 0;
  pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= body.length) return controller.close();
      controller.enqueue(body.slice(at, at + size));
      at += size;
      pulled = Math.min(at, body.length);
    },
  });
  const length = declared === undefined ? {} : { "Content-Length": String(declared) };
  return new Request("https://outpost.test/api/v2/media", {
    method: "POST",
    headers: { "Content-Type": `multipart/form-data; boundary="${BOUNDARY}"`, ...length },
    body: stream,
    duplex: "half",
  } as RequestInit);
}

describe("readUploadForm", () => {
  const file = encode(`\r\n--XyZ-b\r\n--${BOUNDARY.slice(0, -1)}\r\r\n-\n${"\r\n".repeat(50)}end`);

  it.each([1, 2, 3, 7, 13, 64, 100_000])(
    "reads fields and the file in chunks of %i bytes",
    async (size) => {
      const read = await readUploadForm(chunked(formBytes(file), size), { maxFileBytes: 1000 });
      expect(read.ok ? "ok" : read.error).toBe("ok");
      if (!read.ok) return;
      expect(read.form.file).toEqual(file);
      expect(Object.fromEntries(read.form.fields)).toEqual({
        description: "A cat",
        focus: "0.5,0.5",
      });
    },
  );

  it("stops at a file over the limit (413), and at a form cut short (400)", async () => {
    const tooBig = await readUploadForm(chunked(formBytes(file), 16), { maxFileBytes: 10 });
    expect(tooBig).toMatchObject({ ok: false, status: 413 });
    const whole = formBytes(file);
    const cut = await readUploadForm(chunked(whole.subarray(0, whole.length - 30), 16), {
      maxFileBytes: 1000,
    });
    expect(cut).toMatchObject({ ok: false, status: 400 });
  });

  it("reads a file over 16 MB only with a Content-Length (its buffer sized once), else 411", async () => {
    const large = formBytes(new Uint8Array(MAX_UNSIZED_FILE_BYTES + 1024 * 1024));
    const limits = { maxFileBytes: 99 * 1024 * 1024 };
    const unsized = await readUploadForm(chunked(large, 1024 * 1024), limits);
    expect(unsized).toMatchObject({ ok: false, status: 411 });
    expect(unsized.ok || unsized.error).toMatch(/over 16 MB needs the request's Content-Length/);
    expect(pulled).toBeLessThan(MAX_UNSIZED_FILE_BYTES + 2 * 1024 * 1024);
    const sized = await readUploadForm(chunked(large, 1024 * 1024, large.length), limits);
    expect(sized.ok && sized.form.file?.length).toBe(MAX_UNSIZED_FILE_BYTES + 1024 * 1024);
    const small = formBytes(new Uint8Array(MAX_UNSIZED_FILE_BYTES));
    const unsizedSmall = await readUploadForm(chunked(small, 1024 * 1024), limits);
    expect(unsizedSmall.ok && unsizedSmall.form.file?.length).toBe(MAX_UNSIZED_FILE_BYTES);
    const over = await readUploadForm(chunked(large, 1024 * 1024, large.length), {
      maxFileBytes: 1024 * 1024,
    });
    expect(over).toMatchObject({ ok: false, status: 413 });
  });

  it("finds the boundary, quoted or not, only in a multipart type", () => {
    expect(boundaryOf('multipart/form-data; boundary="a b"')).toBe("a b");
    expect(boundaryOf("Multipart/Form-Data;boundary=abc")).toBe("abc");
    expect(boundaryOf("application/json; boundary=abc")).toBeUndefined();
    expect(boundaryOf("multipart/form-data")).toBeUndefined();
  });
});
