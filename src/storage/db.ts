import type { Logger } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import { meterD1 } from "./meter";

export type Db = DrizzleD1Database;

/** A statement to run in a D1 batch with others (`runBatch`). */
export type Statement = BatchItem<"sqlite">;

export interface DbOptions {
  /** Sees every statement with its parameters (tests check query plans with it). */
  readonly logger?: Logger;
}

/** A drizzle handle on the (metered) D1 binding; cheap, so built per request or batch. */
export function createDb(d1: D1Database, options: DbOptions = {}): Db {
  return drizzle(meterD1(d1), options.logger === undefined ? {} : { logger: options.logger });
}

/** Runs statements in one D1 batch: one round trip, all or nothing. */
export async function runBatch(db: Db, statements: readonly Statement[]): Promise<void> {
  const [first, ...rest] = statements;
  if (first === undefined) return;
  await db.batch([first, ...rest]);
}
