/**
 * The D1 mirror of the hosts whose `HostState` objects say they are not simply healthy:
 * failing, unavailable, or taking RFC 9421 first. A delivery reads it to know which hosts'
 * objects it must ask; a host without a row costs no Durable Object call.
 */
import { eq, inArray, sql } from "drizzle-orm";
import type { Db } from "./db";
import { type HostStateRow, hostStates } from "./schema";

export type HostHealth = Pick<HostStateRow, "host" | "state" | "flavour" | "nextAttemptAt">;

/** The listed hosts among these (a query, to run alone or in a batch). */
export function listedHostsQuery(db: Db, hosts: readonly string[]) {
  return db
    .select()
    .from(hostStates)
    .where(inArray(hostStates.host, [...hosts]));
}

/** Mirrors a host's health: a healthy host taking draft-cavage is simply not listed. */
export async function mirrorHostHealth(
  db: Db,
  input: { health: HostHealth; now: Date },
): Promise<void> {
  const { health } = input;
  if (health.state === "healthy" && health.flavour === "cavage") {
    await db.delete(hostStates).where(eq(hostStates.host, health.host));
    return;
  }
  const row = { ...health, updatedAt: input.now };
  await db.insert(hostStates).values(row).onConflictDoUpdate({ target: hostStates.host, set: row });
}

/** How many hosts are listed in each state. */
export function countHostsByState(db: Db) {
  return db
    .select({ state: hostStates.state, n: sql<number>`count(*)` })
    .from(hostStates)
    .groupBy(hostStates.state);
}
