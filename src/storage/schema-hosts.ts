/**
 * The remote hosts, as the owner's dashboard and the deliveries know them: the mirror of their
 * `HostState` objects (`host_states`), and what each last answered Outpost's deliveries with
 * (`host_contacts`): when it last took one (any host ever delivered to has a row, whether it
 * holds followers or was only mentioned), and when its latest answers said that what Outpost
 * delivers to there is gone (404 or 410 for every inbox tried, none delivered). The latter is
 * written with the delivery records, in the same D1 batch, at most once a minute per host.
 * Re-exported by `schema.ts`, which drizzle-kit reads.
 */
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });

export const hostContacts = sqliteTable("host_contacts", {
  host: text("host").primaryKey(),
  /** When a delivery to the host last went through. */
  lastSuccessAt: timestamp("last_success_at"),
  /**
   * When the host last answered only 404/410 (every inbox tried there gone, none delivered);
   * null once a delivery goes through again.
   */
  goneAt: timestamp("gone_at"),
});
export type HostContactRow = typeof hostContacts.$inferSelect;

/**
 * Hosts that are not simply healthy, as their `HostState` objects last said: failing (with
 * the time of their next attempt), unavailable, or taking RFC 9421 signatures first. A host
 * with no row is healthy and takes draft-cavage: deliveries to it go without asking its
 * object, which is only consulted for the hosts listed here, and told about failures.
 */
export const hostStates = sqliteTable("host_states", {
  host: text("host").primaryKey(),
  state: text("state", { enum: ["healthy", "slow", "backingOff", "unavailable"] }).notNull(),
  flavour: text("flavour", { enum: ["cavage", "rfc9421"] }).notNull(),
  nextAttemptAt: timestamp("next_attempt_at"),
  updatedAt: timestamp("updated_at").notNull(),
});
export type HostStateRow = typeof hostStates.$inferSelect;
