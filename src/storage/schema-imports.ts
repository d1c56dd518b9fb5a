/**
 * The owner's imports of Mastodon's CSV exports (`POST /api/outpost/imports`): one row per
 * import, with its counts, and its accounts in batches of a few, each batch followed by one
 * queue message (`importFollows`), at a polite pace. A batch is claimed before it is worked
 * and done exactly once; what became of each of its accounts is kept with it. Batches rather
 * than a row per account: a 20,000-account import writes about 2,000 rows twice, not 20,000
 * (D1's free plan writes 100,000 rows a day). Re-exported by `schema.ts`, which drizzle-kit
 * reads.
 */
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });

/** What an import does. Mastodon has more types (blocks, mutes...); Outpost takes follows. */
export const IMPORT_TYPES = ["following"] as const;
export type ImportType = (typeof IMPORT_TYPES)[number];

export const accountImports = sqliteTable("account_imports", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  type: text("type", { enum: IMPORT_TYPES }).notNull(),
  /** Mastodon's `merge` (add to what is there); `overwrite` is not offered. */
  mode: text("mode", { enum: ["merge"] }).notNull(),
  /**
   * `running` while a batch is left; `finished` once every one is done; `stopped` when its
   * queue message gave up (`error` says why; the batches left stay as they were).
   */
  state: text("state", { enum: ["running", "finished", "stopped"] }).notNull(),
  /** Accounts to follow: the file's rows, each account once. */
  total: integer("total").notNull(),
  /** Rows that named an account an earlier row named (left out of `total`). */
  duplicates: integer("duplicates").notNull().default(0),
  processed: integer("processed").notNull().default(0),
  /** A `Follow` was sent (pending until the account accepts). */
  followed: integer("followed").notNull().default(0),
  /** Followed or asked already, or the owner themself. */
  skipped: integer("skipped").notNull().default(0),
  failed: integer("failed").notNull().default(0),
  error: text("error"),
  createdAt: timestamp("created_at").notNull(),
  finishedAt: timestamp("finished_at"),
});
export type AccountImportRow = typeof accountImports.$inferSelect;

/** One row of the file: its line (from 1, as an editor counts) and the account it names. */
export interface ImportRow {
  readonly line: number;
  /** `user@host`, the host lower-cased. */
  readonly handle: string;
}

/** What became of a row. */
export interface ImportOutcome extends ImportRow {
  readonly result: "followed" | "skipped" | "failed";
  /** Why it was skipped or failed. */
  readonly reason?: string;
}

export const accountImportBatches = sqliteTable(
  "account_import_batches",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    importSeq: integer("import_seq")
      .notNull()
      .references(() => accountImports.seq, { onDelete: "cascade" }),
    rows: text("rows", { mode: "json" }).$type<ImportRow[]>().notNull(),
    /**
     * `pending`, then `working` while a consumer holds it (`claim`, since `claimed_at`: a
     * claim older than the longest a consumer can run is taken over), then `done`.
     */
    state: text("state", { enum: ["pending", "working", "done"] }).notNull(),
    claim: text("claim"),
    claimedAt: timestamp("claimed_at"),
    /** How often it was claimed: a batch that keeps killing its consumer is given up. */
    attempts: integer("attempts").notNull().default(0),
    /** Once done: each row's outcome, in the rows' order. */
    outcomes: text("outcomes", { mode: "json" }).$type<ImportOutcome[]>(),
    /** How many of its rows failed (the import's failures are read from these batches). */
    failed: integer("failed").notNull().default(0),
  },
  (t) => [
    // The next batch to claim (rowid order within a state), and whether any is left.
    index("account_import_batches_state_idx").on(t.importSeq, t.state),
    // The batches with failures, to list them.
    index("account_import_batches_failed_idx").on(t.importSeq).where(sql`${t.failed} > 0`),
  ],
);
export type AccountImportBatchRow = typeof accountImportBatches.$inferSelect;
