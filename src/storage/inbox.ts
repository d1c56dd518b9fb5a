/** Queries over received activities. */
import { desc, eq } from "drizzle-orm";
import type { Db } from "./db";
import { inbox } from "./schema";

/** A local actor's inbox, newest first. */
export function recentInbox(db: Db, actor: string, limit: number) {
  return db
    .select()
    .from(inbox)
    .where(eq(inbox.actor, actor))
    .orderBy(desc(inbox.createdAt), desc(inbox.seq))
    .limit(limit);
}
