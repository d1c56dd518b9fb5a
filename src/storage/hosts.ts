/**
 * The D1 mirror of the hosts whose `HostState` objects say they are not simply healthy:
 * failing, unavailable, or taking RFC 9421 first. A delivery reads it to know which hosts'
 * objects it must ask; a host without a row costs no Durable Object call. And what each host
 * last answered (`host_contacts`), written with the delivery records, read by the hosts page.
 */
import { asc, eq, gt, inArray, sql } from "drizzle-orm";
import type { Db, Statement } from "./db";
import { type HostContactRow, type HostStateRow, hostContacts, hostStates } from "./schema";

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

/**
 * A host's last success is written at most this often (a post's deliveries to one host in
 * several messages, a burst of posts, write it once): the hosts page shows it to the minute.
 */
export const CONTACT_GRAIN_MS = 60_000;
/** Rows an upsert writes at most: three parameters a row, D1 binds 100 a statement. */
const CONTACTS_PER_STATEMENT = 30;

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );

/**
 * What these hosts answered, to run in the delivery records' batch: `reached` took a delivery
 * (their last success moves on, to the minute, and they are no longer gone); `gone` answered
 * only 404/410 (none delivered).
 */
export function hostContactStatements(
  db: Db,
  input: { reached: readonly string[]; gone: readonly string[]; now: Date },
): Statement[] {
  const { now } = input;
  const stale = now.getTime() - CONTACT_GRAIN_MS;
  const reached = chunks([...new Set(input.reached)], CONTACTS_PER_STATEMENT).map((hosts) =>
    db
      .insert(hostContacts)
      .values(hosts.map((host) => ({ host, lastSuccessAt: now, goneAt: null })))
      .onConflictDoUpdate({
        target: hostContacts.host,
        set: { lastSuccessAt: now, goneAt: null },
        setWhere: sql`${hostContacts.goneAt} IS NOT NULL OR coalesce(${hostContacts.lastSuccessAt}, 0) <= ${stale}`,
      }),
  );
  const gone = chunks([...new Set(input.gone)], CONTACTS_PER_STATEMENT).map((hosts) =>
    db
      .insert(hostContacts)
      .values(hosts.map((host) => ({ host, lastSuccessAt: null, goneAt: now })))
      .onConflictDoUpdate({
        target: hostContacts.host,
        set: { goneAt: now },
        setWhere: sql`coalesce(${hostContacts.goneAt}, 0) <= ${stale}`,
      }),
  );
  return [...reached, ...gone];
}

/** A page of `host_contacts` in host order, after `after` (a query). */
export function hostContactsQuery(
  db: Db,
  query: { after: string; limit: number },
): Promise<HostContactRow[]> {
  return db
    .select()
    .from(hostContacts)
    .where(gt(hostContacts.host, query.after))
    .orderBy(asc(hostContacts.host))
    .limit(query.limit);
}
