/**
 * Reading `PATCH /api/v1/accounts/update_credentials` as Mastodon does: JSON, a url-encoded
 * form or multipart, fields as `fields_attributes[0][name]` (an object keyed "0", "1"...) or
 * a JSON list, the avatar and header as files of a multipart body, and Mastodon's limits,
 * each broken one reported as its 422 reports it.
 */
import type { Context } from "hono";
import * as v from "valibot";
import type { ProfileChanges, ProfileImageFiles } from "../../federation/publish/profile";
import { firstIssue } from "../../lib/issues";
import { processUpload } from "../../media/process";
import type { ProcessedFile } from "../../media/types";
import { Flag, readBody } from "./input";

/** Mastodon's limits for a local account (`Account`, `Account::Field`). */
export const PROFILE_LIMITS = {
  displayName: 30,
  note: 500,
  fields: 4,
  fieldName: 255,
  fieldValue: 255,
} as const;

/**
 * The largest body taken: room for an avatar and a header of Mastodon 4.3's 8 MB each (what
 * apps check against), so that a picture over this server's smaller limit (`processUpload`)
 * is told that limit rather than that the body is too large.
 */
export const MAX_PROFILE_BODY_BYTES = 17 * 1024 * 1024;

/** Text, trimmed as Mastodon trims it; `null` (some apps send it to clear a value) is empty. */
const Text = v.pipe(
  v.nullable(v.string("must be text")),
  v.transform((s) => (s ?? "").trim()),
);
const FieldInput = v.object({ name: v.optional(Text, ""), value: v.optional(Text, "") });
const Fields = v.union(
  [v.array(FieldInput), v.record(v.string(), FieldInput)],
  "must be a list of fields, each with a name and a value",
);
const Language = v.pipe(
  v.nullable(v.string("must be a language code")),
  v.transform((s) => (s ?? "").trim() || null),
  v.check(
    (s) => s === null || /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(s),
    "must be a language code",
  ),
);

const Update = v.object({
  display_name: v.optional(Text),
  note: v.optional(Text),
  locked: v.optional(Flag),
  bot: v.optional(Flag),
  discoverable: v.optional(Flag),
  indexable: v.optional(Flag),
  fields_attributes: v.optional(Fields),
  source: v.optional(
    v.object({
      privacy: v.optional(
        v.picklist(["public", "unlisted", "private"], "must be public, unlisted or private"),
      ),
      sensitive: v.optional(Flag),
      language: v.optional(Language),
    }),
  ),
  avatar: v.optional(v.unknown()),
  header: v.optional(v.unknown()),
});

/** One broken rule, as Mastodon's `ValidationErrorFormatter` details it. */
interface Problem {
  readonly attribute: string;
  readonly code: string;
  readonly description: string;
}

export type ProfileInput =
  | {
      readonly ok: true;
      readonly changes: ProfileChanges;
      /** New pictures, to store before the change names them (`saveProfileImages`). */
      readonly images: ProfileImageFiles;
    }
  | {
      readonly ok: false;
      readonly status: 400 | 413 | 422;
      readonly body: { error: string; details?: Record<string, unknown> };
    };

const length = (s: string) => Array.from(s).length;
const tooLong = (attribute: string, max: number): Problem => ({
  attribute,
  code: "ERR_TOO_LONG",
  description: `is too long (maximum is ${max} characters)`,
});
/** `display_name` → `Display name`, as Rails names an attribute in a message. */
const human = (attribute: string) => {
  const words = attribute.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** A file or text given for an image: an empty one (a form's unused file input) is none. */
function givenImage(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return false;
  return !(value instanceof File && value.size === 0 && value.name === "");
}

const IMAGE_NAMES = ["avatar", "header"] as const;

/**
 * The avatar and header sent, each checked by its bytes and stripped of its metadata
 * (`processUpload`, which takes pictures only, up to its profile limit). What is wrong with
 * one is a problem of its attribute, told with the rest (422, as Mastodon's validation,
 * even for a file too large).
 */
async function readImages(
  input: v.InferOutput<typeof Update>,
  problems: Problem[],
): Promise<ProfileImageFiles> {
  const files: { avatar?: ProcessedFile; header?: ProcessedFile } = {};
  for (const name of IMAGE_NAMES) {
    const value = input[name];
    if (!givenImage(value)) continue;
    const refuse = (description: string) =>
      problems.push({ attribute: name, code: "ERR_INVALID", description });
    if (!(value instanceof File)) {
      refuse("must be a file, sent as multipart/form-data");
      continue;
    }
    const processed = await processUpload(value, name);
    if (processed.ok) files[name] = processed.file;
    else refuse(`is invalid: ${processed.reason}`);
  }
  return files;
}

/** The fields as Mastodon keeps them: blank pairs dropped, then checked. */
function readFields(
  given: v.InferOutput<typeof Fields>,
  problems: Problem[],
): { name: string; value: string }[] {
  const fields = (Array.isArray(given) ? given : Object.values(given)).filter(
    (f) => f.name !== "" || f.value !== "",
  );
  if (fields.length > PROFILE_LIMITS.fields) {
    problems.push({
      attribute: "fields",
      code: "ERR_TOO_LONG",
      description: `is too long (maximum is ${PROFILE_LIMITS.fields} fields)`,
    });
  }
  if (fields.some((f) => length(f.name) > PROFILE_LIMITS.fieldName)) {
    problems.push(tooLong("fields_name", PROFILE_LIMITS.fieldName));
  }
  if (fields.some((f) => length(f.value) > PROFILE_LIMITS.fieldValue)) {
    problems.push(tooLong("fields_value", PROFILE_LIMITS.fieldValue));
  }
  if (fields.some((f) => f.name === "" && f.value !== "")) {
    problems.push({
      attribute: "fields",
      code: "ERR_FIELDS_WITH_VALUES_MISSING_LABELS",
      description: "contains values with missing labels",
    });
  }
  return fields.map((f) => ({ name: f.name, value: f.value }));
}

/** The request's changes, or Mastodon's answer to a request that breaks a rule. */
export async function readProfileInput(c: Context): Promise<ProfileInput> {
  const body = await readBody(c, { maxBytes: MAX_PROFILE_BODY_BYTES });
  if (!body.ok) return { ok: false, status: body.status, body: { error: body.error } };
  const parsed = v.safeParse(Update, body.body);
  if (!parsed.success) {
    const { path, message } = firstIssue(parsed.issues);
    const key = path.join(".");
    return { ok: false, status: 422, body: { error: `Validation failed: ${key} ${message}` } };
  }
  const input = parsed.output;
  const problems: Problem[] = [];
  if (input.display_name !== undefined && length(input.display_name) > PROFILE_LIMITS.displayName) {
    problems.push(tooLong("display_name", PROFILE_LIMITS.displayName));
  }
  if (input.note !== undefined && length(input.note) > PROFILE_LIMITS.note) {
    problems.push(tooLong("note", PROFILE_LIMITS.note));
  }
  const fields =
    input.fields_attributes === undefined
      ? undefined
      : readFields(input.fields_attributes, problems);
  const images = await readImages(input, problems);
  if (problems.length > 0) {
    const messages = problems.map((p) => `${human(p.attribute)} ${p.description}`);
    const details: Record<string, { error: string; description: string }[]> = {};
    for (const p of problems) {
      details[p.attribute] = [
        ...(details[p.attribute] ?? []),
        { error: p.code, description: p.description },
      ];
    }
    return {
      ok: false,
      status: 422,
      body: { error: `Validation failed: ${messages.join(", ")}`, details },
    };
  }
  const { source } = input;
  return {
    ok: true,
    changes: {
      displayName: input.display_name,
      note: input.note,
      fields,
      locked: input.locked,
      bot: input.bot,
      discoverable: input.discoverable,
      indexable: input.indexable,
      privacy: source?.privacy,
      sensitive: source?.sensitive,
      language: source?.language,
    },
    images,
  };
}
