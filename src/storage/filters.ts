/**
 * The owner's filters (Mastodon's filters v2, `/api/v2/filters`): a filter, the keywords and
 * the statuses it matches, and the filters in force in a context, which a timeline applies
 * (`mastodon/filters.ts`) to the statuses it shows.
 */
import { and, asc, count, eq, gt, inArray, isNull, or, type SQL, sql } from "drizzle-orm";
import { type Batched, batched, readBatched } from "./batched";
import { type Db, runBatch, type Statement } from "./db";
import { idText, noteIdSql } from "./ids";
import { notes } from "./schema";
import {
  type FILTER_ACTIONS,
  type FilterContext,
  type FilterKeywordRow,
  type FilterRow,
  filterKeywords,
  filterStatuses,
  filters,
} from "./schema-lists";

export type FilterAction = (typeof FILTER_ACTIONS)[number];

/** What a filter says of itself: what the owner may set. */
export interface FilterFields {
  readonly title: string;
  readonly context: readonly FilterContext[];
  readonly action: FilterAction;
  /** Null: never. */
  readonly expiresAt: Date | null;
}

export interface KeywordFields {
  readonly keyword: string;
  readonly wholeWord: boolean;
}

/** A status a filter names: its own `seq`, its filter's, and the status's Mastodon id. */
export interface FilterStatusView {
  readonly seq: number;
  readonly filter: number;
  readonly statusId: string;
}

/** A filter with what it matches. */
export interface FilterWithRules {
  readonly filter: FilterRow;
  readonly keywords: readonly FilterKeywordRow[];
  readonly statuses: readonly FilterStatusView[];
}

/** The statuses of the filters `which` selects, with their status ids (deleted notes too). */
function statusViews(db: Db, which: SQL | undefined) {
  return db
    .select({
      seq: filterStatuses.seq,
      filter: filterStatuses.filter,
      statusId: idText(noteIdSql()),
    })
    .from(filterStatuses)
    .innerJoin(notes, eq(notes.id, filterStatuses.note))
    .where(which)
    .orderBy(asc(filterStatuses.seq));
}

function group(
  rows: readonly FilterRow[],
  keywords: readonly FilterKeywordRow[],
  statuses: readonly FilterStatusView[],
): FilterWithRules[] {
  return rows.map((filter) => ({
    filter,
    keywords: keywords.filter((k) => k.filter === filter.seq),
    statuses: statuses.filter((s) => s.filter === filter.seq),
  }));
}

/** Every filter with its rules, oldest first, in one round trip. */
export async function allFilters(db: Db): Promise<FilterWithRules[]> {
  const [rows, keywords, statuses] = await db.batch([
    db.select().from(filters).orderBy(asc(filters.seq)),
    db.select().from(filterKeywords).orderBy(asc(filterKeywords.seq)),
    statusViews(db, undefined),
  ]);
  return group(rows, keywords, statuses);
}

/** One filter with its rules, in one round trip. */
export async function findFilter(db: Db, seq: number): Promise<FilterWithRules | undefined> {
  const [rows, keywords, statuses] = await db.batch([
    db.select().from(filters).where(eq(filters.seq, seq)),
    db
      .select()
      .from(filterKeywords)
      .where(eq(filterKeywords.filter, seq))
      .orderBy(filterKeywords.seq),
    statusViews(db, eq(filterStatuses.filter, seq)),
  ]);
  return group(rows, keywords, statuses)[0];
}

/** How many filters there are. */
export async function countFilters(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(filters);
  return row?.n ?? 0;
}

/** A list in pieces of `size` (each piece a statement within D1's 100 bound parameters). */
function slices<T>(list: readonly T[], size: number): T[][] {
  const pieces: T[][] = [];
  for (let i = 0; i < list.length; i += size) pieces.push(list.slice(i, i + size));
  return pieces;
}

/** Keyword rows for a filter (its `seq`, or an expression that gives it), in statements. */
function keywordRows(filter: number | SQL, keywords: readonly KeywordFields[]) {
  // Three parameters a row: 30 rows stay under D1's 100.
  return slices(
    keywords.map((k) => ({ filter, ...k })),
    30,
  );
}

/** Stores a filter and its keywords in one batch; the filter with them. */
export async function createFilter(
  db: Db,
  input: { fields: FilterFields; keywords: readonly KeywordFields[]; now: Date },
): Promise<FilterWithRules> {
  const { fields, keywords, now } = input;
  // The batch is a transaction, so the newest filter is the one it inserted.
  const newest = sql`(select max(${filters.seq}) from ${filters})`;
  const [[filter], ...inserted] = await db.batch([
    db
      .insert(filters)
      .values({ ...fields, context: [...fields.context], createdAt: now })
      .returning(),
    ...keywordRows(newest, keywords).map((rows) =>
      db.insert(filterKeywords).values(rows).returning(),
    ),
  ]);
  if (filter === undefined) throw new Error("the filter was not stored");
  return { filter, keywords: inserted.flat(), statuses: [] };
}

/** What an update does to a filter's keywords (`keywords_attributes`). */
export interface KeywordChanges {
  readonly create: readonly KeywordFields[];
  readonly update: readonly (Partial<KeywordFields> & { readonly seq: number })[];
  readonly destroy: readonly number[];
}

/** Changes a filter and its keywords in one batch. */
export async function updateFilter(
  db: Db,
  input: { seq: number; fields: Partial<FilterFields>; keywords: KeywordChanges },
): Promise<void> {
  const { seq, fields, keywords } = input;
  const ofFilter = (k: number) => and(eq(filterKeywords.seq, k), eq(filterKeywords.filter, seq));
  const set = {
    ...fields,
    context: fields.context === undefined ? undefined : [...fields.context],
  };
  const statements: Statement[] = [
    ...(Object.values(set).some((v) => v !== undefined)
      ? [db.update(filters).set(set).where(eq(filters.seq, seq))]
      : []),
    ...keywords.update
      .filter((k) => k.keyword !== undefined || k.wholeWord !== undefined)
      .map(({ seq: k, ...change }) => db.update(filterKeywords).set(change).where(ofFilter(k))),
    ...slices([...new Set(keywords.destroy)], 90).map((destroyed) =>
      db
        .delete(filterKeywords)
        .where(and(eq(filterKeywords.filter, seq), inArray(filterKeywords.seq, destroyed))),
    ),
    ...keywordRows(seq, keywords.create).map((rows) => db.insert(filterKeywords).values(rows)),
  ];
  await runBatch(db, statements);
}

/** A filter, its keywords and its statuses. */
export function deleteFilterStatements(db: Db, seq: number): Statement[] {
  return [
    db.delete(filterKeywords).where(eq(filterKeywords.filter, seq)),
    db.delete(filterStatuses).where(eq(filterStatuses.filter, seq)),
    db.delete(filters).where(eq(filters.seq, seq)),
  ];
}

export async function findKeyword(db: Db, seq: number): Promise<FilterKeywordRow | undefined> {
  const [row] = await db.select().from(filterKeywords).where(eq(filterKeywords.seq, seq));
  return row;
}

export async function addKeyword(
  db: Db,
  filter: number,
  fields: KeywordFields,
): Promise<FilterKeywordRow> {
  const [row] = await db
    .insert(filterKeywords)
    .values({ filter, ...fields })
    .returning();
  if (row === undefined) throw new Error("the keyword was not stored");
  return row;
}

export async function updateKeyword(
  db: Db,
  seq: number,
  fields: Partial<KeywordFields>,
): Promise<FilterKeywordRow | undefined> {
  if (fields.keyword === undefined && fields.wholeWord === undefined) return findKeyword(db, seq);
  const [row] = await db
    .update(filterKeywords)
    .set(fields)
    .where(eq(filterKeywords.seq, seq))
    .returning();
  return row;
}

export function deleteKeywordStatement(db: Db, seq: number): Statement {
  return db.delete(filterKeywords).where(eq(filterKeywords.seq, seq));
}

export async function findFilterStatus(db: Db, seq: number): Promise<FilterStatusView | undefined> {
  const [row] = await statusViews(db, eq(filterStatuses.seq, seq));
  return row;
}

/**
 * Adds a note (by its id) to a filter; the new row, or undefined when the filter names it
 * already.
 */
export async function addFilterStatus(
  db: Db,
  filter: number,
  note: string,
): Promise<FilterStatusView | undefined> {
  const [row] = await db
    .insert(filterStatuses)
    .values({ filter, note })
    .onConflictDoNothing()
    .returning({ seq: filterStatuses.seq });
  return row === undefined ? undefined : findFilterStatus(db, row.seq);
}

export function deleteFilterStatusStatement(db: Db, seq: number): Statement {
  return db.delete(filterStatuses).where(eq(filterStatuses.seq, seq));
}

/** A filter in force, with its keywords and those of the notes asked about that it names. */
export interface ActiveFilter {
  readonly filter: FilterRow;
  readonly keywords: readonly Pick<FilterKeywordRow, "keyword" | "wholeWord">[];
  /** Ids (URIs) of the notes asked about that the filter names. */
  readonly notes: readonly string[];
}

/** Notes asked about per statement (each a bound parameter, with the context and the time). */
const NOTES_PER_QUERY = 90;

/**
 * The filters in force in a context at `now` (not expired), with their keywords and, of
 * `notes` (the ids of the notes a page shows), those they name: one round trip, to run beside
 * the page's other reads.
 */
export async function activeFilters(
  db: Db,
  input: { context: FilterContext; now: Date; notes: readonly string[] },
): Promise<ActiveFilter[]> {
  const { context, now } = input;
  const inForce = and(
    sql`exists (select 1 from json_each(${filters.context}) where value = ${context})`,
    or(isNull(filters.expiresAt), gt(filters.expiresAt, now)),
  );
  const ofActive = db.select({ seq: filters.seq }).from(filters).where(inForce);
  const [rows, keywords, ...named] = await db.batch([
    db.select().from(filters).where(inForce).orderBy(asc(filters.seq)),
    db
      .select({
        filter: filterKeywords.filter,
        keyword: filterKeywords.keyword,
        wholeWord: filterKeywords.wholeWord,
      })
      .from(filterKeywords)
      .where(inArray(filterKeywords.filter, ofActive))
      .orderBy(asc(filterKeywords.seq)),
    ...slices([...new Set(input.notes)], NOTES_PER_QUERY).map((slice) =>
      db
        .select({ filter: filterStatuses.filter, note: filterStatuses.note })
        .from(filterStatuses)
        .where(and(inArray(filterStatuses.note, slice), inArray(filterStatuses.filter, ofActive))),
    ),
  ]);
  const statuses = named.flat();
  return rows.map((filter) => ({
    filter,
    keywords: keywords.filter((k) => k.filter === filter.seq),
    notes: statuses.filter((s) => s.filter === filter.seq).map((s) => s.note),
  }));
}

/**
 * Whether any filter is in force in a context at `now`: one row read at most, beside a
 * page's first reads, so that a page reads the filters' rules (`activeFilters`) only when
 * the owner has some.
 */
export async function anyFilterInForce(
  db: Db,
  context: FilterContext,
  now: Date,
): Promise<boolean> {
  const [inForce] = await readBatched(db, [filterInForceRead(db, context, now)]);
  return inForce;
}

/** `anyFilterInForce` as a read to batch with a page's (`storage/batched.ts`). */
export function filterInForceRead(db: Db, context: FilterContext, now: Date): Batched<boolean> {
  const query = db
    .select({ seq: filters.seq })
    .from(filters)
    .where(
      and(
        sql`exists (select 1 from json_each(${filters.context}) where value = ${context})`,
        or(isNull(filters.expiresAt), gt(filters.expiresAt, now)),
      ),
    )
    .limit(1);
  return batched(query, (rows) => rows.length > 0);
}
