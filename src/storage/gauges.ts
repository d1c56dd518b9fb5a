/** The gauges `/metrics` shows besides its counters, read from D1 in one round trip. */
import type { Db } from "./db";
import { pendingHostsQuery, waitingHostsQuery } from "./deliveries";
import { followerHostsQuery } from "./follows";
import { countHostsByState } from "./hosts";
import type { HostStateRow } from "./schema";

export interface Gauges {
  /** Deliveries (per host) not done yet: in a pending batch, retrying, or parked. */
  readonly backlog: number;
  /** The hosts delivered to (the owner's followers' servers), by state. */
  readonly hosts: Readonly<Record<HostStateRow["state"], number>>;
}

export async function readGauges(db: Db, owner: string): Promise<Gauges> {
  const [pending, waiting, listed, followed] = await db.batch([
    pendingHostsQuery(db),
    waitingHostsQuery(db),
    countHostsByState(db),
    followerHostsQuery(db, owner),
  ]);
  const count = (state: string) => listed.find((l) => l.state === state)?.n ?? 0;
  const slow = count("slow");
  const backingOff = count("backingOff");
  const unavailable = count("unavailable");
  return {
    backlog: (pending[0]?.n ?? 0) + (waiting[0]?.n ?? 0),
    hosts: {
      healthy: Math.max(0, (followed[0]?.n ?? 0) - slow - backingOff - unavailable),
      slow,
      backingOff,
      unavailable,
    },
  };
}
