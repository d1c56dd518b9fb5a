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

/** An import stored, or why not: another is running (the owner's two imports would race). */
export type CreateImport =
  | { readonly ok: true; readonly import: AccountImportRow }
  | { readonly ok: false; readonly reason: "anotherRunning" };

/** What an import refused because another is running says, while it is being taken out. */
const REFUSED = "another import is running";

/**
 * Stores an import and its batches, all or nothing, unless another import is running. The
 * batches name the import as the newest one: a D1 batch is one transaction, which no other
 * write interleaves. Whether another runs is read in the statement that stores this one, so
 * two imports posted at once (a double submit) cannot both start: the second is stored
 * stopped, which no consumer claims, and taken out.
 */
export async function createImport(db: Db, input: NewImport): Promise<CreateImport> {
  const batches: ImportRow[][] = [];
  for (let i = 0; i < input.rows.length; i += input.batchSize) {
    batches.push(input.rows.slice(i, i + input.batchSize));
  }
  const i = accountImports;
  const newest = sql`(select max(${i.seq}) from ${i})`;
  const inserts: Statement[] = [];
  for (let n = 0; n < batches.length; n += BATCHES_PER_STATEMENT) {
    const values = batches
      .slice(n, n + BATCHES_PER_STATEMENT)
      .map((rows) => ({ importSeq: newest, rows, state: "pending" as const }));
    inserts.push(db.insert(accountImportBatches).values(values));
  }
  const running = sql`exists (select 1 from ${i} where ${i.state} = 'running')`;
  const [[row]] = await db.batch([
    db
      .insert(i)
      .values({
        type: input.type,
        mode: "merge",
        state:
          input.rows.length === 0
            ? "finished"
            : sql`case when ${running} then 'stopped' else 'running' end`,
        error: sql`case when ${running} then ${REFUSED} end`,
        total: input.rows.length,
        duplicates: input.duplicates,
        createdAt: input.at,
      })
      .returning(),
    ...inserts,
  ]);
  if (row === undefined) throw new Error("the import was not stored");
  if (row.state === "stopped" && row.error === REFUSED) {
    await deleteImport(db, row.seq);
    return { ok: false, reason: "anotherRunning" };
  }
  return { ok: true, import: row };
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
 * One statement, so that two consumers at once never claim the same batch; and only while
 * the import runs, so that a stopped import stops, however many messages it still has.
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
    .where(
      and(
        eq(b.seq, sql`coalesce((${pending}), (${stale}))`),
        sql`exists (select 1 from ${accountImports} where ${accountImports.seq} = ${claim.importSeq} and ${accountImports.state} = 'running')`,
      ),
    )
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

/**
 * What is left of an import: whether it still runs (a stopped one is left as it is), whether
 * a batch is pending, and the oldest claim still held.
 */
export interface Remaining {
  readonly running: boolean;
  readonly pending: boolean;
  readonly oldestClaim: Date | undefined;
}

export async function remainingOf(db: Db, importSeq: number): Promise<Remaining> {
  const b = accountImportBatches;
  const i = accountImports;
  const [row] = await db.all<{ running: number; pending: number; oldest: number | null }>(
    sql`select exists (select 1 from ${i} where ${i.seq} = ${importSeq} and ${i.state} = 'running') as running,
      exists (select 1 from ${b} where ${b.importSeq} = ${importSeq} and ${b.state} = 'pending') as pending,
      (select min(${b.claimedAt}) from ${b} where ${b.importSeq} = ${importSeq} and ${b.state} = 'working') as oldest`,
  );
  return {
    running: row?.running === 1,
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
