/**
 * Reading `POST /api/v1/statuses` and `PUT /api/v1/statuses/:id` as Mastodon does: the text,
 * its content warning and language, and the files attached (`media_ids`, as a JSON list or
 * a form's `media_ids[]=`), whose alt text and focus an edit may change (`media_attributes`).
 * Which files exist and may be attached is the action's to say (`publish/attachments.ts`).
 */
import * as v from "valibot";
import { parseMastodonId } from "../../mastodon/ids";
import { MAX_DESCRIPTION_LENGTH } from "../../media/types";
import { VISIBILITIES } from "../../storage/schema";
import { Flag } from "./input";
import { parseFocus } from "./media";

/** Characters per status (Mastodon's default is 500; a single-user instance can afford more). */
export const MAX_STATUS_LENGTH = 5000;

/** The most `media_attributes` read: a status has four files at most. */
const MAX_ATTRIBUTES = 40;

/** The text as written, trimmed; blank is allowed here (a post may be its media alone). */
const Text = v.pipe(
  v.string("must be text"),
  v.trim(),
  v.maxLength(MAX_STATUS_LENGTH, `is longer than ${MAX_STATUS_LENGTH} characters`),
);

/** Ids as a JSON list of strings (or numbers), a form's list, or one id on its own. */
const MediaIds = v.pipe(
  v.union([v.array(v.union([v.string(), v.number()])), v.string()], "must be a list of media ids"),
  v.transform((ids) => (Array.isArray(ids) ? ids : [ids]).map(String)),
  // A form's `media_ids[]=` with nothing after it says "none", as an empty JSON list does.
  // How many is the action's to count (the body's cap bounds the list).
  v.transform((ids) => ids.filter((id) => id !== "")),
);

/** A focal point as an upload's (`parseFocus`): "x,y" from -1 to 1; empty or null clears it. */
const Focus = v.pipe(
  v.nullable(v.string('must be two numbers from -1 to 1, as "x,y"')),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    if (dataset.value === null || dataset.value.trim() === "") return null;
    const point = parseFocus(dataset.value);
    if (point !== undefined) return point;
    addIssue({ message: 'must be two numbers from -1 to 1, as "x,y"' });
    return NEVER;
  }),
);

const Attribute = v.object({
  id: v.pipe(v.union([v.string(), v.number()], "must be a media id"), v.transform(String)),
  description: v.optional(
    v.pipe(
      v.nullable(v.string("must be text")),
      v.transform((s) => (s ?? "").trim() || null),
      v.check(
        (s) => s === null || [...s].length <= MAX_DESCRIPTION_LENGTH,
        `is longer than ${MAX_DESCRIPTION_LENGTH} characters`,
      ),
    ),
  ),
  focus: v.optional(Focus),
});

/** A list of objects, or a form's `media_attributes[0][id]=` (an object keyed by position). */
const Attributes = v.pipe(
  v.union(
    [v.array(v.unknown()), v.record(v.string(), v.unknown())],
    "must be a list of media, each with an id",
  ),
  v.transform((list) => (Array.isArray(list) ? list : Object.values(list))),
  v.maxLength(MAX_ATTRIBUTES, "names more media than a status has"),
  v.array(Attribute),
);

const Common = {
  status: v.optional(Text),
  spoiler_text: v.optional(
    v.pipe(v.string("must be text"), v.maxLength(500, "is longer than 500 characters")),
  ),
  sensitive: v.optional(Flag),
  language: v.optional(
    v.pipe(v.string(), v.regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/, "must be a language code")),
  ),
  media_ids: v.optional(MediaIds),
};

export const CreateStatus = v.object({
  ...Common,
  visibility: v.optional(v.picklist(VISIBILITIES, "must be public, unlisted, private or direct")),
  in_reply_to_id: v.optional(
    v.pipe(
      v.string("must be a status id"),
      v.rawTransform(({ dataset, addIssue, NEVER }) => {
        const id = parseMastodonId(dataset.value);
        if (id !== undefined) return id;
        addIssue({ message: "must be a status id" });
        return NEVER;
      }),
    ),
  ),
});

export const EditStatus = v.object({ ...Common, media_attributes: v.optional(Attributes) });

/**
 * Why a post without text is refused, or undefined when it is not: Mastodon's status needs
 * text unless it has media (`validates :text, presence: true, unless: :with_media?`).
 */
export function blankText(input: {
  readonly status?: string;
  readonly media_ids?: readonly string[];
}): string | undefined {
  if ((input.media_ids?.length ?? 0) > 0 || (input.status ?? "") !== "") return undefined;
  return input.status === undefined
    ? "Validation failed: status is required"
    : "Validation failed: status can't be blank";
}
