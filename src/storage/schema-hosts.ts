/**
 * What each remote host last answered Outpost's deliveries with, for the owner's hosts page:
 * when it last took one (any host ever delivered to has a row, whether it holds followers or
 * was only mentioned), and when its latest answers said that what Outpost delivers to there
 * is gone (404 or 410 for every inbox tried, none delivered). Written with the delivery
 * records, in the same D1 batch, at most once a minute per host. Re-exported by `schema.ts`,
 * which drizzle-kit reads.
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
