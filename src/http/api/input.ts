/** Reading client input: JSON, or form-encoded as many Mastodon apps send it, then checked. */
import type { Context } from "hono";
import * as v from "valibot";
import { isObject, type JsonObject } from "../../activitypub/parse";
import { firstIssue } from "../../lib/issues";

export type InputResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly status: 400 | 422; readonly error: string };

/** The body as a plain object: JSON, url-encoded or multipart; empty when there is none. */
async function readBody(
  c: Context,
): Promise<{ ok: true; body: JsonObject } | { ok: false; error: string }> {
  const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type === undefined || c.req.header("content-length") === "0") return { ok: true, body: {} };
  if (type === "application/json") {
    try {
      const body: unknown = await c.req.json();
      if (!isObject(body)) return { ok: false, error: "body must be a JSON object" };
      return { ok: true, body };
    } catch {
      return { ok: false, error: "body is not valid JSON" };
    }
  }
  if (type === "application/x-www-form-urlencoded" || type === "multipart/form-data") {
    try {
      return { ok: true, body: await c.req.parseBody() };
    } catch {
      return { ok: false, error: "body is not a valid form" };
    }
  }
  return { ok: false, error: `unsupported content type ${type}` };
}

/** Parses and checks a request body; a validation failure reads like Mastodon's (422). */
export async function readInput<S extends v.GenericSchema>(
  c: Context,
  schema: S,
): Promise<InputResult<v.InferOutput<S>>> {
  const body = await readBody(c);
  if (!body.ok) return { ok: false, status: 400, error: body.error };
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

/** A path id of ours: a positive integer. */
export function parseId(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,15}$/.test(value) && Number(value) > 0
    ? Number(value)
    : undefined;
}
