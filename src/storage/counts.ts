/** Reading a kept count (`schema-counts.ts`): one row, or none for zero. */
import { and, eq } from "drizzle-orm";
import type { Db } from "./db";
import { type Counted, counts } from "./schema";

/** A count, as `{ n }` rows like `count()` gives (none when nothing was ever counted). */
export function countOf(db: Db, key: { subject: string; what: Counted }) {
  return db
    .select({ n: counts.n })
    .from(counts)
    .where(and(eq(counts.subject, key.subject), eq(counts.what, key.what)));
}
