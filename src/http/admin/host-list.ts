/**
 * Every remote host Outpost delivers to, with its state: the owner's followers' hosts and the
 * hosts the `host_states` mirror lists (read in batches), in one view. A host the mirror does
 * not list is healthy and holds nothing (its object mirrors every change), so only listed
 * hosts' objects are asked for their record (`status`), at most `MAX_OBJECT_CALLS` a page,
 * the sickest first; the others show what the mirror says.
 */
import type { AppContext } from "../../context";
import type { HostStatus } from "../../hosts/host-state";
import { recorder } from "../../metrics/recorder";
import type {
  HostCondition,
  HostList,
  HostQuery,
  HostSort,
  HostView,
} from "../../pages/admin/host-types";
import { followersByHostQuery, lastReached, listedHostsQuery } from "../../storage/dashboard";
import type { HostStateRow } from "../../storage/schema";

/** Host objects asked per page: well within an invocation's subrequests. */
export const MAX_OBJECT_CALLS = 40;
const LISTED_BATCH = 500;
const MAX_LISTED_BATCHES = 20;
/** How many of the owner's latest activities say when each host was last reached. */
const REACHED_FROM = 20;

const SEVERITY: Readonly<Record<HostCondition, number>> = {
  unavailable: 4,
  open: 3,
  "backing-off": 2,
  slow: 1,
  healthy: 0,
};

const MIRRORED: Readonly<Record<HostStateRow["state"], HostCondition>> = {
  unavailable: "unavailable",
  backingOff: "backing-off",
  slow: "slow",
  healthy: "healthy",
};

/** A host's condition, as its object tells it. */
export function conditionOf(status: HostStatus): HostCondition {
  if (status.unavailable) return "unavailable";
  if (status.circuit === "open") return "open";
  if (status.failures > 0 || status.parked > 0) return "backing-off";
  return status.slow ? "slow" : "healthy";
}

/** Every row the mirror holds, a batch at a time. */
async function listedHosts(ctx: Pick<AppContext, "db">): Promise<HostStateRow[]> {
  const rows: HostStateRow[] = [];
  let after = "";
  for (let i = 0; i < MAX_LISTED_BATCHES; i++) {
    const batch = await listedHostsQuery(ctx.db, { after, limit: LISTED_BATCH });
    rows.push(...batch);
    const last = batch.at(-1);
    if (batch.length < LISTED_BATCH || last === undefined) break;
    after = last.host;
  }
  return rows;
}

async function askObjects(
  ctx: Pick<AppContext, "hosts">,
  hosts: readonly string[],
): Promise<Map<string, HostStatus>> {
  recorder().inc("outpost_do_calls_total", { method: "status" }, hosts.length);
  const statuses = await Promise.all(
    hosts.map((host) => ctx.hosts.get(ctx.hosts.idFromName(host)).status()),
  );
  return new Map(hosts.map((host, i) => [host, statuses[i] as HostStatus]));
}

const byNullable =
  <T>(value: (h: HostView) => T | null, order: (a: T, b: T) => number) =>
  (a: HostView, b: HostView) => {
    const [x, y] = [value(a), value(b)];
    if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1;
    return order(x, y);
  };

const SORTS: Readonly<Record<HostSort, (a: HostView, b: HostView) => number>> = {
  host: () => 0,
  state: (a, b) => SEVERITY[b.condition] - SEVERITY[a.condition],
  followers: (a, b) => b.followers - a.followers,
  failures: byNullable(
    (h) => h.failures,
    (x, y) => y - x,
  ),
  parked: byNullable(
    (h) => h.parked,
    (x, y) => y - x,
  ),
  next: byNullable(
    (h) => h.nextAttempt?.getTime() ?? null,
    (x, y) => x - y,
  ),
  last: byNullable(
    (h) => h.lastReached?.getTime() ?? null,
    (x, y) => y - x,
  ),
};

/** The hosts, filtered by condition and sorted (then by name), with their state. */
export async function loadHosts(ctx: AppContext, query: HostQuery): Promise<HostList> {
  const owner = ctx.config.urls.owner.id;
  const [followers, reached, listed] = await Promise.all([
    followersByHostQuery(ctx.db, owner),
    lastReached(ctx.db, { actor: owner, limit: REACHED_FROM }),
    listedHosts(ctx),
  ]);
  const mirror = new Map(listed.map((row) => [row.host, row]));
  const ask = [...listed]
    .sort((a, b) => SEVERITY[MIRRORED[b.state]] - SEVERITY[MIRRORED[a.state]])
    .slice(0, MAX_OBJECT_CALLS)
    .map((row) => row.host);
  const statuses = await askObjects(ctx, ask);
  const counts = new Map(followers.map((f) => [f.host, f.followers]));
  const names = [...new Set([...counts.keys(), ...mirror.keys()])];
  const now = ctx.now();
  const hosts = names.map((host): HostView => {
    const status = statuses.get(host);
    const row = mirror.get(host);
    const next = status?.nextAttemptAt ?? row?.nextAttemptAt ?? null;
    const holding = status === undefined ? row !== undefined : status.parked > 0;
    return {
      host,
      followers: counts.get(host) ?? 0,
      condition: status !== undefined ? conditionOf(status) : MIRRORED[row?.state ?? "healthy"],
      failures: status?.failures ?? (row === undefined ? 0 : null),
      parked: status?.parked ?? (row === undefined ? 0 : null),
      lastReached: reached.get(host) ?? null,
      // A time passed with nothing held is no appointment.
      nextAttempt: next !== null && (holding || next > now) ? next : null,
      flavour: status?.flavour ?? row?.flavour ?? "cavage",
    };
  });
  const shown = hosts
    .filter((h) => query.state === undefined || h.condition === query.state)
    .sort((a, b) => SORTS[query.sort](a, b) || a.host.localeCompare(b.host));
  return { hosts: shown, unasked: Math.max(0, listed.length - ask.length) };
}
