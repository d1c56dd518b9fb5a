/**
 * What a filter matches, each kind with routes of its own, shaped like Mastodon's client
 * API: keywords (`/api/v2/filters/:filter_id/keywords`, `/api/v2/filter_keywords/:id`) and
 * statuses (`/api/v2/filters/:filter_id/statuses`, `/api/v2/filter_statuses/:id`). A filter
 * holds at most `MAX_RULES` of each.
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../env";
import { serializeFilterKeyword, serializeFilterStatus } from "../../mastodon/filters";
import { isBoostId } from "../../mastodon/ids";
import { runBatch } from "../../storage/db";
import {
  addFilterStatus,
  addKeyword,
  deleteFilterStatusStatement,
  deleteKeywordStatement,
  type FilterWithRules,
  findFilter,
  findFilterStatus,
  findKeyword,
  updateKeyword,
} from "../../storage/filters";
import { liveNoteByApiId } from "../../storage/notes";
import { boostByApiId } from "../../storage/reactions";
import { requireOwner } from "../middleware/owner-auth";
import { streamWrites } from "../middleware/stream-writes";
import { jsonError } from "../responses";
import { readInput } from "./input";
import { KeywordCreate, KeywordUpdate, MAX_RULES, parseSeq, StatusCreate } from "./sorting-input";

export const filterScopes = requireOwner({ read: "read:filters", write: "write:filters" });

/** Every write of a filter, a keyword or a filtered status: the owner's apps hear of it. */
export const filtersChanged = streamWrites({ changes: [{ kind: "filters" }] });

export const notFound = (c: Context) => jsonError(c, 404, "Record not found");

/** The filter a route's `:id` (or `:filter_id`) names, with its rules, or undefined. */
export async function filterOf(
  c: Context<AppEnv>,
  param: string,
): Promise<FilterWithRules | undefined> {
  const seq = parseSeq(c.req.param(param));
  return seq === undefined ? undefined : findFilter(c.var.ctx.db, seq);
}

/**
 * Under `/api/v2/filters/:filter_id`: a filter's keywords and statuses, listed and added.
 * Mounted by the filters router, under its auth.
 */
export const filterRules = new Hono<AppEnv>();

filterRules.get("/:filter_id/keywords", async (c) => {
  const filter = await filterOf(c, "filter_id");
  return filter === undefined ? notFound(c) : c.json(filter.keywords.map(serializeFilterKeyword));
});

filterRules.post("/:filter_id/keywords", async (c) => {
  const filter = await filterOf(c, "filter_id");
  if (filter === undefined) return notFound(c);
  const input = await readInput(c, KeywordCreate);
  if (!input.ok) return jsonError(c, input.status, input.error);
  if (filter.keywords.length >= MAX_RULES) {
    return jsonError(c, 422, `Validation failed: a filter holds at most ${MAX_RULES} keywords`);
  }
  const { keyword, whole_word } = input.value;
  const row = await addKeyword(c.var.ctx.db, filter.filter.seq, {
    keyword,
    wholeWord: whole_word ?? true,
  });
  return c.json(serializeFilterKeyword(row));
});

filterRules.get("/:filter_id/statuses", async (c) => {
  const filter = await filterOf(c, "filter_id");
  return filter === undefined ? notFound(c) : c.json(filter.statuses.map(serializeFilterStatus));
});

/** Adds a status (a boost's: the status boosted) to a filter. */
filterRules.post("/:filter_id/statuses", async (c) => {
  const filter = await filterOf(c, "filter_id");
  if (filter === undefined) return notFound(c);
  const input = await readInput(c, StatusCreate);
  if (!input.ok) return jsonError(c, input.status, input.error);
  if (filter.statuses.length >= MAX_RULES) {
    return jsonError(c, 422, `Validation failed: a filter holds at most ${MAX_RULES} statuses`);
  }
  const { db } = c.var.ctx;
  const id = input.value.status_id;
  const note = isBoostId(id) ? (await boostByApiId(db, id))?.note : await liveNoteByApiId(db, id);
  if (note === undefined || note.deletedAt !== null) return notFound(c);
  const row = await addFilterStatus(db, filter.filter.seq, note.id);
  if (row === undefined) {
    return jsonError(c, 422, "Validation failed: Status has already been taken");
  }
  return c.json(serializeFilterStatus(row));
});

/** `/api/v2/filter_keywords/:id`: one keyword. */
export const filterKeywords = new Hono<AppEnv>();
filterKeywords.use("*", filterScopes, filtersChanged);

filterKeywords.get("/:id", async (c) => {
  const seq = parseSeq(c.req.param("id"));
  const row = seq === undefined ? undefined : await findKeyword(c.var.ctx.db, seq);
  return row === undefined ? notFound(c) : c.json(serializeFilterKeyword(row));
});

filterKeywords.put("/:id", async (c) => {
  const seq = parseSeq(c.req.param("id"));
  if (seq === undefined) return notFound(c);
  const input = await readInput(c, KeywordUpdate);
  if (!input.ok) return jsonError(c, input.status, input.error);
  const { keyword, whole_word } = input.value;
  const row = await updateKeyword(c.var.ctx.db, seq, { keyword, wholeWord: whole_word });
  return row === undefined ? notFound(c) : c.json(serializeFilterKeyword(row));
});

filterKeywords.delete("/:id", async (c) => {
  const seq = parseSeq(c.req.param("id"));
  const { db } = c.var.ctx;
  const row = seq === undefined ? undefined : await findKeyword(db, seq);
  if (row === undefined) return notFound(c);
  await runBatch(db, [deleteKeywordStatement(db, row.seq)]);
  return c.json({});
});

/** `/api/v2/filter_statuses/:id`: one status of a filter. */
export const filterStatuses = new Hono<AppEnv>();
filterStatuses.use("*", filterScopes, filtersChanged);

filterStatuses.get("/:id", async (c) => {
  const seq = parseSeq(c.req.param("id"));
  const row = seq === undefined ? undefined : await findFilterStatus(c.var.ctx.db, seq);
  return row === undefined ? notFound(c) : c.json(serializeFilterStatus(row));
});

filterStatuses.delete("/:id", async (c) => {
  const seq = parseSeq(c.req.param("id"));
  const { db } = c.var.ctx;
  const row = seq === undefined ? undefined : await findFilterStatus(db, seq);
  if (row === undefined) return notFound(c);
  await runBatch(db, [deleteFilterStatusStatement(db, row.seq)]);
  return c.json({});
});
