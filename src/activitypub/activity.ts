/**
 * The envelope every received activity must have, read with valibot: an `@context`, an http
 * `id`, a `type` and an `actor`. The rest is read leniently by the handlers (`parse.ts`).
 */
import * as v from "valibot";
import { firstIssue } from "../lib/issues";
import { idOf, type JsonObject } from "./parse";

const isHttpUrl = (s: string) => /^https?:\/\//i.test(s) && URL.canParse(s);
const HttpUrl = v.pipe(
  v.string("must be an http(s) URL"),
  v.check(isHttpUrl, "must be an http(s) URL"),
);

const Envelope = v.looseObject({
  "@context": v.union(
    [v.string(), v.array(v.unknown()), v.record(v.string(), v.unknown())],
    "must be a string, an array or an object",
  ),
  id: HttpUrl,
  type: v.union(
    [v.string(), v.pipe(v.array(v.string()), v.minLength(1))],
    "must be a string or a list of strings",
  ),
  actor: v.union(
    [HttpUrl, v.looseObject({ id: HttpUrl })],
    "must be a URL or an object with an id",
  ),
});

/** A received activity, its envelope read. */
export interface Activity {
  readonly id: string;
  /** Its first type. */
  readonly type: string;
  /** The actor's id: who it claims to be from (the signature step checks it). */
  readonly actor: string;
  readonly object: unknown;
  /** The whole document, as sent. */
  readonly document: JsonObject;
}

export type EnvelopeResult =
  | { readonly ok: true; readonly activity: Activity }
  | { readonly ok: false; readonly error: string };

/** Reads the envelope of a JSON value; the first problem said plainly when it has none. */
export function parseEnvelope(json: unknown): EnvelopeResult {
  const parsed = v.safeParse(Envelope, json);
  if (!parsed.success) return { ok: false, error: describeIssue(parsed.issues) };
  const document = parsed.output;
  const { id, type, actor } = document;
  return {
    ok: true,
    activity: {
      id,
      // A list has at least one type (the schema says so).
      type: typeof type === "string" ? type : (type[0] ?? ""),
      // Normalised by the URL parser, as every other id we read (`idOf`).
      actor: new URL(typeof actor === "string" ? actor : actor.id).href,
      object: document.object,
      document,
    },
  };
}

/** `actor is required`, `id must be an http(s) URL`: the first problem, said plainly. */
function describeIssue(issues: readonly v.BaseIssue<unknown>[]): string {
  const { path, message, missing } = firstIssue(issues);
  const [key] = path;
  if (key === undefined) return "invalid activity";
  return missing ? `${key} is required` : `${key} ${message}`;
}

/** The id of what the activity is about (its `object`), if it names one. */
export const objectIdOf = (activity: Activity): string | undefined => idOf(activity.object);
