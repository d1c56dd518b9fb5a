/**
 * Reading an upload's multipart form as it streams in, so that a 99 MB video is held once:
 * the runtime's own `formData()` keeps the whole body and then copies each file out of it
 * (twice the file in a Worker's 128 MB). Here the `file` part's bytes go straight into one
 * buffer, sized from `Content-Length` when the client sent one; the other fields are short
 * strings; any other file part (Mastodon's `thumbnail`) is read and dropped.
 */

export interface UploadForm {
  /** The `file` part's bytes, if there was one. */
  readonly file?: Uint8Array;
  /** The text fields, by name (the last one of a name wins). */
  readonly fields: ReadonlyMap<string, string>;
}

export type UploadFormResult =
  | { readonly ok: true; readonly form: UploadForm }
  | { readonly ok: false; readonly status: 400 | 411 | 413; readonly error: string };

export interface UploadFormOptions {
  /** The largest `file` part accepted. */
  readonly maxFileBytes: number;
  /** The largest text field accepted; 64 kB by default. */
  readonly maxFieldBytes?: number;
}

/** The boundary of a `multipart/form-data` content type, or undefined for another type. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  const [type, ...params] = (contentType ?? "").split(";");
  if (type?.trim().toLowerCase() !== "multipart/form-data") return undefined;
  for (const param of params) {
    const match = /^\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s";]{1,70}))\s*$/i.exec(param);
    if (match) return match[1] ?? match[2];
  }
  return undefined;
}

/**
 * The largest file read without a `Content-Length` (an image's limit). Its buffer grows by
 * doubling, so that one of 99 MB would have peaked at 64 + 99 MB while it was copied, more
 * than a Worker's 128 MB (growing by less only moves the peak); with a `Content-Length`, the
 * buffer is sized once. Browsers and apps send one with a form; a client that streams a
 * larger file without one is told so (411).
 */
export const MAX_UNSIZED_FILE_BYTES = 16 * 1024 * 1024;

/** Bytes gathered in one growing buffer, its first size a guess from `Content-Length`. */
class Sink {
  #buffer: Uint8Array;
  length = 0;
  /** Why the last `push` was refused: over `limit`, or over what may grow unannounced. */
  refused: "limit" | "unsized" | undefined;
  /**
   * `initial` bytes are taken at once (what `Content-Length` announced); more than that,
   * up to `growTo`, as they come.
   */
  constructor(
    initial: number,
    readonly limit: number,
    readonly growTo: number,
  ) {
    this.#buffer = new Uint8Array(Math.min(initial, limit + 1));
  }
  /** Appends; false once more than `limit` bytes came, or more than the buffer may grow to. */
  push(bytes: Uint8Array): boolean {
    const needed = this.length + bytes.length;
    if (needed > this.limit) {
      this.refused = "limit";
      return false;
    }
    if (needed > this.#buffer.length) {
      const most = Math.min(this.limit, Math.max(this.#buffer.length, this.growTo));
      if (needed > most) {
        this.refused = "unsized";
        return false;
      }
      const grown = new Uint8Array(Math.min(most, Math.max(this.#buffer.length * 2, needed, 1024)));
      grown.set(this.#buffer.subarray(0, this.length));
      this.#buffer = grown;
    }
    this.#buffer.set(bytes, this.length);
    this.length += bytes.length;
    return true;
  }
  bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.length);
  }
}

const encoder = new TextEncoder();

/** Where `needle` first occurs in `haystack` from `from`, or -1. */
function find(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  for (
    let at = haystack.indexOf(first ?? 0, from);
    at >= 0;
    at = haystack.indexOf(first ?? 0, at + 1)
  ) {
    if (at + needle.length > haystack.length) return -1;
    let i = 1;
    while (i < needle.length && haystack[at + i] === needle[i]) i++;
    if (i === needle.length) return at;
  }
  return -1;
}

/**
 * `pending` followed by `value`, in a part's body (or the preamble, whose bytes are
 * dropped). There, `pending` is the short tail that could
 * start a delimiter: when no delimiter straddles it and `value`'s start, the tail goes to the
 * sink and `value` is kept as it is, rather than copied (a 99 MB file would be copied again).
 */
function append(parts: {
  pending: Uint8Array;
  value: Uint8Array;
  delimiter: Uint8Array;
  sink: Sink | undefined;
}): Uint8Array {
  const { pending, value, delimiter, sink } = parts;
  if (pending.length === 0) return value;
  // A delimiter starting in `pending` would end within `edge`, if `value` is long enough.
  const whole = pending.length < delimiter.length && value.length >= delimiter.length - 1;
  const edge = whole ? concat(pending, value.subarray(0, delimiter.length - 1)) : undefined;
  if (edge !== undefined && find(edge, delimiter, 0) < 0) {
    if (sink !== undefined && !sink.push(pending)) return concat(pending, value); // caught later
    return value;
  }
  return concat(pending, value);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** A part's headers: its field name and whether it is a file. */
function partOf(headers: string): { name: string; isFile: boolean } | undefined {
  const disposition = headers.split("\r\n").find((line) => /^content-disposition\s*:/i.test(line));
  if (disposition === undefined) return undefined;
  const name = /;\s*name\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(disposition);
  if (name === null) return undefined;
  return { name: name[1] ?? name[2] ?? "", isFile: /;\s*filename\*?\s*=/i.test(disposition) };
}

/** Why a large file without a `Content-Length` is refused. */
const UNSIZED = `a file over ${MAX_UNSIZED_FILE_BYTES / (1024 * 1024)} MB needs the request's Content-Length`;
/** The largest header block of a part. */
const MAX_PART_HEADERS = 8 * 1024;
/** The most text fields a form may have. */
const MAX_FIELDS = 32;
/** What a form may hold besides its file: fields, headers, a dropped thumbnail. */
export const MAX_FORM_OVERHEAD = 1024 * 1024;

/**
 * Reads a multipart upload form from a request's body as it streams. Its `Content-Length`
 * sizes the file's buffer at once, so that it is never copied to grow (without one, the
 * buffer doubles as it fills, up to `MAX_UNSIZED_FILE_BYTES`: past that, 411).
 */
export async function readUploadForm(
  request: Request,
  options: UploadFormOptions,
): Promise<UploadFormResult> {
  const boundary = boundaryOf(request.headers.get("content-type") ?? undefined);
  if (boundary === undefined || request.body === null) {
    return { ok: false, status: 400, error: "the form has no multipart boundary" };
  }
  const maxField = options.maxFieldBytes ?? 64 * 1024;
  const declared = Number(request.headers.get("content-length")) || 0;
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  const fields = new Map<string, string>();
  let file: Sink | undefined;
  let sink: Sink | undefined;
  let current: { name: string; isFile: boolean } | undefined;
  let state: "preamble" | "after" | "headers" | "body" | "done" = "preamble";
  // A CRLF before the body makes the first delimiter look like every other one.
  let pending: Uint8Array = encoder.encode("\r\n");
  const reader = request.body.getReader();
  const fail = async (status: 400 | 411 | 413, error: string) => {
    await reader.cancel().catch(() => undefined);
    return { ok: false as const, status, error };
  };

  let total = 0;
  for (let ended = false; state !== "done"; ) {
    if (!ended) {
      const { done, value } = await reader.read();
      ended = done;
      total += value?.length ?? 0;
      if (total > options.maxFileBytes + MAX_FORM_OVERHEAD)
        return fail(413, "the form is too large");
      if (value !== undefined) {
        const inBody = state === "body" || state === "preamble";
        pending = inBody
          ? append({ pending, value, delimiter, sink: state === "body" ? sink : undefined })
          : concat(pending, value);
      }
    }
    for (let progress = true; progress && state !== "done"; ) {
      progress = false;
      if (state === "preamble" || state === "body") {
        const at = find(pending, delimiter, 0);
        // Without a delimiter, all but what could be its start is the part's.
        const safe = at >= 0 ? at : Math.max(0, pending.length - delimiter.length + 1);
        if (state === "body" && sink !== undefined && !sink.push(pending.subarray(0, safe))) {
          if (sink !== file) return fail(400, `the field ${current?.name} is too long`);
          return sink.refused === "unsized"
            ? fail(411, UNSIZED)
            : fail(413, "the file is too large");
        }
        pending = pending.subarray(safe);
        if (at >= 0) {
          if (state === "body" && current !== undefined && sink !== undefined && sink !== file) {
            fields.set(current.name, new TextDecoder().decode(sink.bytes()));
          }
          pending = pending.subarray(delimiter.length);
          state = "after";
          progress = true;
        }
      } else if (state === "after" && pending.length >= 2) {
        const closing = pending[0] === 0x2d && pending[1] === 0x2d;
        if (!closing && !(pending[0] === 0x0d && pending[1] === 0x0a)) {
          return fail(400, "the form's boundary is followed by neither CRLF nor --");
        }
        pending = pending.subarray(2);
        state = closing ? "done" : "headers";
        progress = true;
      } else if (state === "headers") {
        const end = find(pending, encoder.encode("\r\n\r\n"), 0);
        if (end < 0 && pending.length > MAX_PART_HEADERS)
          return fail(400, "a part's headers are too long");
        if (end >= 0) {
          current = partOf(new TextDecoder().decode(pending.subarray(0, end)));
          if (current === undefined) return fail(400, "a part has no name");
          pending = pending.subarray(end + 4);
          if (current.name === "file" && current.isFile && file === undefined) {
            const initial = Math.max(declared, 64 * 1024);
            file = new Sink(initial, options.maxFileBytes, MAX_UNSIZED_FILE_BYTES);
            sink = file;
          } else if (current.isFile) {
            sink = undefined; // read and dropped
          } else {
            if (fields.size >= MAX_FIELDS) return fail(400, "the form has too many fields");
            sink = new Sink(1024, maxField, maxField);
          }
          state = "body";
          progress = true;
        }
      }
    }
    if (ended && state !== "done") return fail(400, "the form ends before its closing boundary");
  }
  await reader.cancel().catch(() => undefined);
  return { ok: true, form: { ...(file ? { file: file.bytes() } : {}), fields } };
}
