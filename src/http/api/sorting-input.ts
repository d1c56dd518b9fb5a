/**
 * What the owner sends to sort what they read (lists and filters), read as Mastodon reads
 * it, JSON or form: the checks and their caps, shared by `lists.ts`, `filters.ts` and
 * `filter-rules.ts`. Every string and every list has a cap; what is beyond it is a 422.
 */
import type { Context } from "hono";
import * as v from "valibot";
import { firstIssue } from "../../lib/issues";
import { parseMastodonId } from "../../mastodon/ids";
import { FILTER_ACTIONS, FILTER_CONTEXTS, REPLIES_POLICIES } from "../../storage/schema-lists";
import { Flag, type InputResult } from "./input";

/** Lists the owner may keep (Mastodon allows 50 a user). */
export const MAX_LISTS = 100;
/** Filters the owner may keep. */
export const MAX_FILTERS = 100;
/** Keywords, and statuses, a filter may hold. */
export const MAX_RULES = 100;
/** Accounts one request may add to a list or take off it. */
export const MAX_ACCOUNT_IDS = 100;
/** A list's or a filter's title. */
export const MAX_TITLE = 255;
/** A keyword. */
export const MAX_KEYWORD = 100;

/** A list's, a filter's, a keyword's or a filter status's id: its `seq`; undefined if not one. */
export function parseSeq(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/** Treats null as absent: Mastodon's apps send `null` for a field they leave alone. */
const maybe = <S extends v.GenericSchema>(schema: S) =>
  v.pipe(
    v.nullish(schema),
    v.transform((x) => x ?? undefined),
  );

export const Title = v.pipe(
  v.string("must be text"),
  v.trim(),
  v.minLength(1, "can't be blank"),
  v.maxLength(MAX_TITLE, `is longer than ${MAX_TITLE} characters`),
);

export const ListCreate = v.object({
  title: Title,
  replies_policy: maybe(v.picklist(REPLIES_POLICIES, "must be followed, list or none")),
  exclusive: maybe(Flag),
});

export const ListUpdate = v.object({
  title: maybe(Title),
  replies_policy: maybe(v.picklist(REPLIES_POLICIES, "must be followed, list or none")),
  exclusive: maybe(Flag),
});

/** `account_ids[]`: Mastodon account ids, one or a list. */
export const AccountIds = v.pipe(
  v.union([v.string(), v.array(v.string())], "must be account ids"),
  v.transform((x) => (typeof x === "string" ? [x] : x)),
  v.maxLength(MAX_ACCOUNT_IDS, `holds more than ${MAX_ACCOUNT_IDS} ids`),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const ids = dataset.value.filter((s) => s !== "").map(parseMastodonId);
    if (ids.every((id) => id !== undefined)) return ids;
    addIssue({ message: "must be account ids" });
    return NEVER;
  }),
);

export const ListAccounts = v.object({ account_ids: maybe(AccountIds) });

/** The `account_ids[]` of a request's query (apps send a `DELETE`'s there). */
export function queryAccountIds(c: Context): string[] {
  return [...(c.req.queries("account_ids[]") ?? []), ...(c.req.queries("account_ids") ?? [])];
}

/** Account ids given in a query, checked as `AccountIds` checks a body's. */
export function parseAccountIds(values: readonly string[]): bigint[] | InputResult<never> {
  const parsed = v.safeParse(AccountIds, [...values]);
  if (parsed.success) return parsed.output;
  const { message } = firstIssue(parsed.issues);
  return { ok: false, status: 422, error: `Validation failed: account_ids ${message}` };
}

/** `context[]`: where a filter applies; blanks dropped, at least one, each known. */
const Context_ = v.pipe(
  v.union([v.string(), v.array(v.string())], "must be a list of contexts"),
  v.transform((x) => (typeof x === "string" ? [x] : x)),
  v.maxLength(FILTER_CONTEXTS.length * 2, "names too many contexts"),
  v.transform((x) => [...new Set(x.map((s) => s.trim()).filter((s) => s !== ""))]),
  v.minLength(1, "can't be blank"),
  v.array(v.picklist(FILTER_CONTEXTS, `must be among ${FILTER_CONTEXTS.join(", ")}`)),
);

/** `expires_in`: seconds from now; empty or null: never. */
const ExpiresIn = v.pipe(
  v.union(
    [v.null(), v.literal(""), v.pipe(v.number(), v.safeInteger()), v.string()],
    "must be a number of seconds",
  ),
  v.transform((x) => (x === null || x === "" ? null : String(x))),
  v.nullable(v.pipe(v.string(), v.regex(/^\d{1,10}$/, "must be a number of seconds"))),
  v.transform((x) => (x === null ? null : Number(x))),
);

const Keyword = v.pipe(
  v.string("must be text"),
  v.check((s) => s.trim() !== "", "can't be blank"),
  v.maxLength(MAX_KEYWORD, `is longer than ${MAX_KEYWORD} characters`),
);

/** A flag of a `keywords_attributes` entry, which a form may send blank: blank is absent. */
const BlankOrFlag = v.pipe(
  v.nullish(v.union([v.literal(""), Flag])),
  v.transform((x) => (x === "" || x === null ? undefined : x)),
);

/** Text of a `keywords_attributes` entry; empty is absent. */
const blankOrText = (schema: v.GenericSchema<unknown, string>) =>
  v.pipe(
    v.nullish(schema),
    v.transform((x) => (x === "" || x === null ? undefined : x)),
  );

/**
 * One entry of `keywords_attributes`: a keyword to add, change (`id`) or remove (`_destroy`).
 * A blank keyword is checked where the entry is read: an entry all blank is skipped.
 */
const KeywordAttributes = v.object({
  id: blankOrText(v.pipe(v.union([v.string(), v.number()]), v.transform(String))),
  keyword: blankOrText(
    v.pipe(
      v.string("must be text"),
      v.maxLength(MAX_KEYWORD, `is longer than ${MAX_KEYWORD} characters`),
    ),
  ),
  whole_word: BlankOrFlag,
  _destroy: BlankOrFlag,
});
export type KeywordAttributes = v.InferOutput<typeof KeywordAttributes>;

/** A list of entries, or Rails' indexed form of one (`keywords_attributes[0][keyword]=`). */
const KeywordsAttributes = v.pipe(
  v.union([v.array(v.unknown()), v.record(v.string(), v.unknown())], "must be a list of keywords"),
  v.transform((x) => (Array.isArray(x) ? x : Object.values(x))),
  v.maxLength(MAX_RULES * 2, "holds too many keywords"),
  v.array(KeywordAttributes),
);

const filterFields = {
  filter_action: maybe(v.picklist(FILTER_ACTIONS, `must be ${FILTER_ACTIONS.join(", ")}`)),
  expires_in: v.optional(ExpiresIn),
  keywords_attributes: maybe(KeywordsAttributes),
};

export const FilterCreate = v.object({ title: Title, context: Context_, ...filterFields });
export const FilterUpdate = v.object({
  title: maybe(Title),
  context: maybe(Context_),
  ...filterFields,
});
export type FilterUpdate = v.InferOutput<typeof FilterUpdate>;

export const KeywordCreate = v.object({ keyword: Keyword, whole_word: maybe(Flag) });
export const KeywordUpdate = v.object({ keyword: maybe(Keyword), whole_word: maybe(Flag) });

export const StatusCreate = v.object({
  status_id: v.pipe(
    v.union([v.string(), v.number()], "must be a status id"),
    v.transform(String),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const id = parseMastodonId(dataset.value);
      if (id !== undefined) return id;
      addIssue({ message: "must be a status id" });
      return NEVER;
    }),
  ),
});
