/**
 * The owner's filters, shaped like Mastodon's client API: filters v2 (`/api/v2/filters`,
 * their keywords changed with `keywords_attributes`), and v1's list (`GET /api/v1/filters`),
 * which older apps read at start-up: each keyword of each filter as a v1 filter. A filter's
 * keywords and statuses have routes of their own (`filter-rules.ts`). Every route needs
 * `read:filters` or `write:filters`, as on Mastodon.
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../env";
import { serializeFilter, serializeV1Filters } from "../../mastodon/filters";
import { runBatch } from "../../storage/db";
import {
  allFilters,
  countFilters,
  createFilter,
  deleteFilterStatements,
  type FilterFields,
  findFilter,
  type KeywordChanges,
  type KeywordFields,
  updateFilter,
} from "../../storage/filters";
import { jsonError } from "../responses";
import { filterOf, filterRules, filterScopes, filtersChanged, notFound } from "./filter-rules";
import { readInput } from "./input";
import {
  FilterCreate,
  FilterUpdate,
  type KeywordAttributes,
  MAX_FILTERS,
  MAX_RULES,
  parseSeq,
} from "./sorting-input";

/** When a filter given `expires_in` seconds stops: undefined leaves it, null is never. */
function expiry(seconds: number | null | undefined, now: Date): Date | null | undefined {
  return seconds === undefined || seconds === null
    ? seconds
    : new Date(now.getTime() + seconds * 1000);
}

const tooMany = (c: Context) =>
  jsonError(c, 422, `Validation failed: a filter holds at most ${MAX_RULES} keywords`);

/**
 * What `keywords_attributes` does to a filter's keywords, as Rails' nested attributes read
 * it: an entry with an `id` changes that keyword (or, with `_destroy`, removes it), one
 * without adds a keyword unless it is all blank or marked `_destroy`. An `id` the filter does
 * not hold is an error (404, as Mastodon's), as is a new keyword without text (422).
 */
function keywordChanges(
  entries: readonly KeywordAttributes[],
  held: ReadonlySet<number>,
): KeywordChanges | { readonly status: 404 | 422; readonly error: string } {
  const create: KeywordFields[] = [];
  const update: (Partial<KeywordFields> & { seq: number })[] = [];
  const destroy: number[] = [];
  const blank = {
    status: 422,
    error: "Validation failed: keywords_attributes keyword can't be blank",
  } as const;
  for (const entry of entries) {
    const { id, keyword, whole_word, _destroy } = entry;
    const isBlank = keyword !== undefined && keyword.trim() === "";
    if (id !== undefined) {
      const seq = parseSeq(id);
      if (seq === undefined || !held.has(seq)) return { status: 404, error: "Record not found" };
      if (_destroy === true) destroy.push(seq);
      else if (isBlank) return blank;
      else update.push({ seq, keyword, wholeWord: whole_word });
      continue;
    }
    if (_destroy === true || ((keyword === undefined || isBlank) && whole_word === undefined)) {
      continue;
    }
    if (keyword === undefined || isBlank) return blank;
    create.push({ keyword, wholeWord: whole_word ?? true });
  }
  return { create, update, destroy };
}

export const filtersV2 = new Hono<AppEnv>();
filtersV2.use("*", filterScopes, filtersChanged);
filtersV2.route("/", filterRules);

filtersV2.get("/", async (c) => c.json((await allFilters(c.var.ctx.db)).map(serializeFilter)));

filtersV2.post("/", async (c) => {
  const input = await readInput(c, FilterCreate);
  if (!input.ok) return jsonError(c, input.status, input.error);
  const { ctx } = c.var;
  const { title, context, filter_action, expires_in, keywords_attributes } = input.value;
  const changes = keywordChanges(keywords_attributes ?? [], new Set());
  if ("error" in changes) return jsonError(c, changes.status, changes.error);
  if (changes.create.length > MAX_RULES) return tooMany(c);
  if ((await countFilters(ctx.db)) >= MAX_FILTERS) {
    return jsonError(
      c,
      422,
      `Validation failed: the owner may keep at most ${MAX_FILTERS} filters`,
    );
  }
  const now = ctx.now();
  const fields: FilterFields = {
    title,
    context,
    action: filter_action ?? "warn",
    expiresAt: expiry(expires_in, now) ?? null,
  };
  const created = await createFilter(ctx.db, { fields, keywords: changes.create, now });
  return c.json(serializeFilter(created));
});

filtersV2.get("/:id", async (c) => {
  const filter = await filterOf(c, "id");
  return filter === undefined ? notFound(c) : c.json(serializeFilter(filter));
});

/** Changes what is given of a filter, and its keywords by `keywords_attributes`. */
filtersV2.put("/:id", async (c) => {
  const found = await filterOf(c, "id");
  if (found === undefined) return notFound(c);
  const input = await readInput(c, FilterUpdate);
  if (!input.ok) return jsonError(c, input.status, input.error);
  const { title, context, filter_action, expires_in, keywords_attributes } = input.value;
  const held = new Set(found.keywords.map((k) => k.seq));
  const changes = keywordChanges(keywords_attributes ?? [], held);
  if ("error" in changes) return jsonError(c, changes.status, changes.error);
  const kept = held.size - new Set(changes.destroy).size + changes.create.length;
  if (kept > MAX_RULES) return tooMany(c);
  const { ctx } = c.var;
  const seq = found.filter.seq;
  const fields = {
    title,
    context,
    action: filter_action,
    expiresAt: expiry(expires_in, ctx.now()),
  };
  await updateFilter(ctx.db, { seq, fields, keywords: changes });
  const updated = await findFilter(ctx.db, seq);
  return updated === undefined ? notFound(c) : c.json(serializeFilter(updated));
});

/** Deletes a filter with its keywords and statuses; answers `{}`, as Mastodon does. */
filtersV2.delete("/:id", async (c) => {
  const filter = await filterOf(c, "id");
  if (filter === undefined) return notFound(c);
  const { db } = c.var.ctx;
  await runBatch(db, deleteFilterStatements(db, filter.filter.seq));
  return c.json({});
});

export const filtersV1 = new Hono<AppEnv>();
filtersV1.use("*", filterScopes);

/** v1's filters: one per keyword, as Mastodon 4 answers apps written before filters v2. */
filtersV1.get("/", async (c) => c.json(serializeV1Filters(await allFilters(c.var.ctx.db))));
