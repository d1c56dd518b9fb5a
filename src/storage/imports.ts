/**
 * The owner's imports (`schema-imports.ts`): stored with their batches in one D1 batch,
 * each batch claimed by one consumer at a time and done exactly once, with the import's
 * counts moved in the statement batch that marks it done.
 */
import { and, asc, eq, gt, lt, sql } from "drizzle-orm";
import type { Db, Statement } from "./db";
import {
  type AccountImportBatchRow,
  type AccountImportRow,
  accountImportBatches,
  accountImports,
  type ImportOutcome,
  type ImportRow,
  type ImportType,
} from "./schema-imports";

/**
 * Batches inserted per statement, under D1's 100 bound parameters: four each (the rows, the
 * state, and the two counts' defaults, which drizzle binds too).
 */
const BATCHES_PER_STATEMENT = 20;

export interface NewImport {
  readonly type: ImportType;
  /** The accounts, in the file's order, each once. */
  readonly rows: readonly ImportRow[];
  readonly duplicates: number;
  /** Accounts a batch holds (what one queue message follows). */
  readonly batchSize: number;
  readonly at: Date;
}

/**
 * Stores an import and its batches, all or nothing. The batches name the import as the
 * newest one: a D1 batch is one transaction, which no other write interleaves.
 */
export async function createImport(db: Db, input: NewImport): Promise<AccountImportRow> {
  const batches: ImportRow[][] = [];
  for (let i = 0; i < input.rows.length; i += input.batchSize) {
    batches.push(input.rows.slice(i, i + input.batchSize));
  }
  const newest = sql`(select max(${accountImports.seq}) from ${accountImports})`;
  const inserts: Statement[] = [];
  for (let i = 0; i < batches.length; i += BATCHES_PER_STATEMENT) {
    const values = batches
      .slice(i, i + BATCHES_PER_STATEMENT)
      .map((rows) => ({ importSeq: newest, rows, state: "pending" as const }));
    inserts.push(db.insert(accountImportBatches).values(values));
  }
  const [[row]] = await db.batch([
    db
      .insert(accountImports)
      .values({
        type: input.type,
        mode: "merge",
        state: input.rows.length === 0 ? "finished" : "running",
        total: input.rows.length,
        duplicates: input.duplicates,
        createdAt: input.at,
      })
      .returning(),
    ...inserts,
  ]);
  if (row === undefined) throw new Error("the import was not stored");
  return row;
}

export async function findImport(db: Db, seq: number): Promise<AccountImportRow | undefined> {
  const [row] = await db.select().from(accountImports).where(eq(accountImports.seq, seq));
  return row;
}

/** An import and its batches go (an import that could not be queued). */
export async function deleteImport(db: Db, seq: number): Promise<void> {
  await db.delete(accountImports).where(eq(accountImports.seq, seq));
}

/** The first `limit` failed rows of an import, in the file's order, with their reasons. */
export async function importFailures(
  db: Db,
  query: { importSeq: number; limit: number },
): Promise<ImportOutcome[]> {
  const batches = await db
    .select({ outcomes: accountImportBatches.outcomes })
    .from(accountImportBatches)
    .where(
      and(eq(accountImportBatches.importSeq, query.importSeq), gt(accountImportBatches.failed, 0)),
    )
    .orderBy(asc(accountImportBatches.seq))
    .limit(query.limit);
  return batches
    .flatMap((b) => b.outcomes ?? [])
    .filter((o) => o.result === "failed")
    .slice(0, query.limit);
}

export interface Claim {
  readonly importSeq: number;
  /** Unique to the invocation claiming. */
  readonly token: string;
  readonly now: Date;
  /** A batch claimed before this is taken over: its consumer cannot still be running. */
  readonly staleBefore: Date;
}

/**
 * Claims the import's next batch: the oldest pending one, else one whose claim went stale.
 * One statement, so that two consumers at once never claim the same batch.
 */
export async function claimBatch(db: Db, claim: Claim): Promise<AccountImportBatchRow | undefined> {
  const b = accountImportBatches;
  const ofImport = eq(b.importSeq, claim.importSeq);
  const pending = db
    .select({ seq: b.seq })
    .from(b)
    .where(and(ofImport, eq(b.state, "pending")))
    .orderBy(asc(b.seq))
    .limit(1);
  const stale = db
    .select({ seq: b.seq })
    .from(b)
    .where(and(ofImport, eq(b.state, "working"), lt(b.claimedAt, claim.staleBefore)))
    .limit(1);
  const [row] = await db
    .update(b)
    .set({
      state: "working",
      claim: claim.token,
      claimedAt: claim.now,
      attempts: sql`${b.attempts} + 1`,
    })
    .where(eq(b.seq, sql`coalesce((${pending}), (${stale}))`))
    .returning();
  return row;
}

/**
 * A claimed batch is done: its outcomes kept, the import's counts moved. Only while the
 * claim is still this one (it was not taken over): otherwise neither statement changes
 * anything. To run in the batch that stores what the rows did (the follows).
 */
export function finishBatchStatements(
  db: Db,
  done: { batch: AccountImportBatchRow; token: string; outcomes: readonly ImportOutcome[] },
): Statement[] {
  const { batch, token, outcomes } = done;
  const b = accountImportBatches;
  const i = accountImports;
  const count = (result: ImportOutcome["result"]) =>
    outcomes.filter((o) => o.result === result).length;
  return [
    db
      .update(b)
      .set({ state: "done", outcomes: [...outcomes], failed: count("failed") })
      .where(and(eq(b.seq, batch.seq), eq(b.claim, token), eq(b.state, "working"))),
    db
      .update(i)
      .set({
        processed: sql`${i.processed} + ${outcomes.length}`,
        followed: sql`${i.followed} + ${count("followed")}`,
        skipped: sql`${i.skipped} + ${count("skipped")}`,
        failed: sql`${i.failed} + ${count("failed")}`,
      })
      .where(
        and(
          eq(i.seq, batch.importSeq),
          sql`exists (select 1 from ${b} where ${b.seq} = ${batch.seq} and ${b.claim} = ${token} and ${b.state} = 'done')`,
        ),
      ),
  ];
}

/** What is left of an import: whether a batch is pending, and the oldest claim still held. */
export interface Remaining {
  readonly pending: boolean;
  readonly oldestClaim: Date | undefined;
}

export async function remainingOf(db: Db, importSeq: number): Promise<Remaining> {
  const b = accountImportBatches;
  const [row] = await db.all<{ pending: number; oldest: number | null }>(
    sql`select exists (select 1 from ${b} where ${b.importSeq} = ${importSeq} and ${b.state} = 'pending') as pending,
      (select min(${b.claimedAt}) from ${b} where ${b.importSeq} = ${importSeq} and ${b.state} = 'working') as oldest`,
  );
  return {
    pending: row?.pending === 1,
    oldestClaim: row?.oldest == null ? undefined : new Date(row.oldest),
  };
}

/** An import with nothing left is finished (once). */
export async function finishImport(db: Db, seq: number, at: Date): Promise<void> {
  await db
    .update(accountImports)
    .set({ state: "finished", finishedAt: at })
    .where(and(eq(accountImports.seq, seq), eq(accountImports.state, "running")));
}

/** An import whose queue message gave up: stopped, saying why; its batches left stay. */
export async function stopImport(
  db: Db,
  stop: { seq: number; error: string; at: Date },
): Promise<void> {
  await db
    .update(accountImports)
    .set({ state: "stopped", error: stop.error, finishedAt: stop.at })
    .where(and(eq(accountImports.seq, stop.seq), eq(accountImports.state, "running")));
}
