/** Reading client input: JSON, or form-encoded as many Mastodon apps send it, then checked. */
import type { Context } from "hono";
import * as v from "valibot";
import { isObject, type JsonObject } from "../../activitypub/parse";
import { firstIssue } from "../../lib/issues";
import { readCapped } from "../../lib/read-capped";

export type InputResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly status: 400 | 413 | 422; readonly error: string };

/** The largest body a client may send (a status with its options is a few kilobytes). */
export const MAX_INPUT_BYTES = 256 * 1024;

type BodyResult = { ok: true; body: JsonObject } | { ok: false; status: 400 | 413; error: string };

export interface BodyOptions {
  /**
   * A body without a `Content-Type` (or `text/plain`, what `fetch` gives a string body) is
   * read as JSON when it starts with `{`, else as a url-encoded form (OAuth clients send
   * both); by default it is ignored.
   */
  readonly sniff?: boolean;
  /** The largest body accepted; `MAX_INPUT_BYTES` by default. */
  readonly maxBytes?: number;
}

/** The body as a plain object: JSON, url-encoded or multipart; empty when there is none. */
export async function readBody(c: Context, options: BodyOptions = {}): Promise<BodyResult> {
  const maxBytes = options.maxBytes ?? MAX_INPUT_BYTES;
  const declared = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (c.req.header("content-length") === "0") return { ok: true, body: {} };
  if ((declared === undefined || declared === "text/plain") && options.sniff === true) {
    return sniffBody(c, maxBytes);
  }
  const type = declared;
  if (type === undefined) return { ok: true, body: {} };
  const isForm = type === "application/x-www-form-urlencoded" || type === "multipart/form-data";
  if (type !== "application/json" && !isForm) {
    return { ok: false, status: 400, error: `unsupported content type ${type}` };
  }
  const bytes = await readCapped(c.req.raw, maxBytes);
  if (bytes === undefined) {
    return { ok: false, status: 413, error: `body larger than ${maxBytes / 1024} kB` };
  }
  if (!isForm) {
    try {
      const body: unknown = JSON.parse(
        new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes),
      );
      if (!isObject(body)) return { ok: false, status: 400, error: "body must be a JSON object" };
      return { ok: true, body };
    } catch {
      return { ok: false, status: 400, error: "body is not valid JSON" };
    }
  }
  try {
    const form = await new Request(c.req.url, {
      method: "POST",
      headers: { "content-type": c.req.header("content-type") ?? type },
      body: bytes,
    }).formData();
    return { ok: true, body: fromForm(form) };
  } catch {
    return { ok: false, status: 400, error: "body is not a valid form" };
  }
}

/** A body that declares no type: JSON if it looks like an object, else a url-encoded form. */
async function sniffBody(c: Context, maxBytes: number): Promise<BodyResult> {
  if (c.req.raw.body === null) return { ok: true, body: {} };
  const bytes = await readCapped(c.req.raw, maxBytes);
  if (bytes === undefined) {
    return { ok: false, status: 413, error: `body larger than ${maxBytes / 1024} kB` };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { ok: false, status: 400, error: "body is not UTF-8" };
  }
  if (text.trimStart().startsWith("{")) {
    try {
      const body: unknown = JSON.parse(text);
      if (isObject(body)) return { ok: true, body };
    } catch {
      // Not JSON after all.
    }
    return { ok: false, status: 400, error: "body is not valid JSON" };
  }
  const form = new FormData();
  for (const [name, value] of new URLSearchParams(text)) form.append(name, value);
  return { ok: true, body: fromForm(form) };
}

/** A form field's value, placed where its name's brackets say. */
type FormValue = string | File;
type FormNode = FormValue | FormNode[] | Map<string, FormNode>;

/** The deepest a form field's name nests (`poll[options][]` is two). */
const MAX_FORM_NESTING = 3;

/**
 * A form as an object, read as Rails reads it (Mastodon's apps send forms for Mastodon):
 * `media_ids[]=1&media_ids[]=2` is a list, `poll[options][]=a&poll[expires_in]=60` an object
 * holding one, a repeated plain name its last value. `keywords_attributes[][keyword]=a&
 * keywords_attributes[][whole_word]=1&keywords_attributes[][keyword]=b` is a list of objects:
 * a name already set in the last object starts the next. A name nested deeper than
 * `MAX_FORM_NESTING`, or otherwise malformed, is ignored.
 */
export function fromForm(form: FormData): JsonObject {
  const root = new Map<string, FormNode>();
  for (const [name, value] of form) {
    const path = fieldPath(name);
    if (path !== undefined) place(root, path, value);
  }
  return plain(root) as JsonObject;
}

/** `a[b][]` → `["a", "b", ""]`; undefined for a name that is not one. */
function fieldPath(name: string): string[] | undefined {
  const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(name);
  if (match === null) return undefined;
  const inner = Array.from((match[2] ?? "").matchAll(/\[([^[\]]*)\]/g), (m) => m[1] ?? "");
  // `[]` comes last (a list of values), or just before the last name (a list of objects).
  const list = inner.indexOf("");
  const listOfObjects = list === inner.length - 2 && inner.at(-1) !== "";
  if (inner.length > MAX_FORM_NESTING || (list !== -1 && list < inner.length - 1 && !listOfObjects))
    return undefined;
  return [match[1] ?? "", ...inner];
}

function place(root: Map<string, FormNode>, path: readonly string[], value: FormValue) {
  let node = root;
  for (const [i, key] of path.entries()) {
    const next = path[i + 1];
    if (next === undefined) {
      node.set(key, value);
      return;
    }
    const child = node.get(key);
    if (next === "") {
      const list = Array.isArray(child) ? child : [];
      node.set(key, list);
      const name = path[i + 2];
      if (name === undefined) {
        list.push(value);
        return;
      }
      const last = list.at(-1);
      if (last instanceof Map && !last.has(name)) last.set(name, value);
      else list.push(new Map([[name, value]]));
      return;
    }
    const map = child instanceof Map ? child : new Map<string, FormNode>();
    node.set(key, map);
    node = map;
  }
}

/** Maps become plain objects (own properties only: `__proto__` is a key like any other). */
function plain(node: FormNode): unknown {
  if (node instanceof Map) return Object.fromEntries(Array.from(node, ([k, v]) => [k, plain(v)]));
  return Array.isArray(node) ? node.map(plain) : node;
}

/** Parses and checks a request body; a validation failure reads like Mastodon's (422). */
export async function readInput<S extends v.GenericSchema>(
  c: Context,
  schema: S,
  options?: BodyOptions,
): Promise<InputResult<v.InferOutput<S>>> {
  const body = await readBody(c, options);
  if (!body.ok) return body;
  const parsed = v.safeParse(schema, body.body);
  if (parsed.success) return { ok: true, value: parsed.output };
  const { path, message, missing } = firstIssue(parsed.issues);
  const key = path.join(".");
  const problem = missing && key !== "" ? "is required" : message;
  return { ok: false, status: 422, error: `Validation failed: ${key ? `${key} ` : ""}${problem}` };
}

/** `true`/`false` as JSON booleans or as form strings. */
export const Flag = v.pipe(
  v.union(
    [v.boolean(), v.picklist(["true", "false", "1", "0", "on", "off"])],
    "must be true or false",
  ),
  v.transform((x) => x === true || x === "true" || x === "1" || x === "on"),
);

/** What Rails reads as false in a query parameter (`ActiveModel::Type::Boolean`). */
const FALSE_QUERY_VALUES = new Set(["0", "f", "F", "false", "FALSE", "off", "OFF"]);

/**
 * A query flag as Mastodon reads it: absent or empty is false, so are Rails' false values;
 * anything else is true (`?pinned=1`, `?only_media=true`).
 */
export function queryFlag(value: string | undefined): boolean {
  return value !== undefined && value !== "" && !FALSE_QUERY_VALUES.has(value);
}
