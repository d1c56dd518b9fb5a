import { describe, expect, it } from "vitest";
import { boundaryOf, readUploadForm } from "./media-form";

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

/** A request whose body arrives in chunks of `size` bytes. */
function chunked(body: Uint8Array, size: number): Request {
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= body.length) return controller.close();
      controller.enqueue(body.slice(at, at + size));
      at += size;
    },
  });
  return new Request("https://outpost.test/api/v2/media", {
    method: "POST",
    headers: { "Content-Type": `multipart/form-data; boundary="${BOUNDARY}"` },
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

  it("finds the boundary, quoted or not, only in a multipart type", () => {
    expect(boundaryOf('multipart/form-data; boundary="a b"')).toBe("a b");
    expect(boundaryOf("Multipart/Form-Data;boundary=abc")).toBe("abc");
    expect(boundaryOf("application/json; boundary=abc")).toBeUndefined();
    expect(boundaryOf("multipart/form-data")).toBeUndefined();
  });
});
