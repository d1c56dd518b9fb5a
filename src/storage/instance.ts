/** What the instance documents report about the whole server: counts, and the hosts it knows. */
import { asc, countDistinct } from "drizzle-orm";
import type { Db } from "./db";
import { countNotesQuery } from "./notes";
import { actors } from "./schema";

export interface InstanceCounts {
  /** The author's notes, deleted ones left out. */
  readonly statuses: number;
  /** The hosts of the remote actors stored. */
  readonly domains: number;
}

/** The counts of `/api/v1/instance` (`stats`), read in one round trip. */
export async function instanceCounts(db: Db, author: string): Promise<InstanceCounts> {
  const [posts, hosts] = await db.batch([
    countNotesQuery(db, author),
    db.select({ n: countDistinct(actors.domain) }).from(actors),
  ]);
  return { statuses: posts[0]?.n ?? 0, domains: hosts[0]?.n ?? 0 };
}

/**
 * The hosts of the remote actors stored, in alphabetical order, at most `limit` of them. The
 * actors table holds only those Outpost has something to do with (the housekeeping drops the
 * rest after 30 days), so this reads a bounded table.
 */
export async function peerHosts(db: Db, limit: number): Promise<string[]> {
  const rows = await db
    .selectDistinct({ domain: actors.domain })
    .from(actors)
    .orderBy(asc(actors.domain))
    .limit(limit);
  return rows.map((row) => row.domain);
}
