/**
 * Every remote host Outpost delivers to, with its state: the owner's followers' hosts, the
 * hosts the `host_states` mirror lists and every host a delivery has reached or found gone
 * (`host_contacts`; each read in one query, up to `MAX_LISTED` rows), in one view.
 * The table is filtered, sorted and paged on what D1 says; then only the page's listed hosts'
 * objects are asked for their record (`status`, at most `HOSTS_PER_PAGE` calls), each on its
 * own: one that fails shows as unknown, the page still answers. A host the mirror does not
 * list is healthy and holds nothing (its object mirrors every change), so it is never asked;
 * nor does a healthy or slow one hold anything, or count failures.
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
import { followersByHostQuery, listedHostsQuery } from "../../storage/dashboard";
import { hostContactsQuery } from "../../storage/hosts";
import type { HostContactRow, HostStateRow } from "../../storage/schema";

/** Rows a page of the table shows, and so host objects asked per page at most. */
export const HOSTS_PER_PAGE = 50;
/** The most rows a page reads of each table; beyond them the list is cut off (and says so). */
const MAX_LISTED = 10_000;

/** Worst first: what needs the owner's eye, then what is over and done with. */
const SEVERITY: Readonly<Record<HostCondition, number>> = {
  unavailable: 5,
  open: 4,
  "backing-off": 3,
  gone: 2,
  slow: 1,
  healthy: 0,
};

const MIRRORED: Readonly<Record<HostStateRow["state"], HostCondition>> = {
  unavailable: "unavailable",
  backingOff: "backing-off",
  slow: "slow",
  healthy: "healthy",
};

/**
 * A host is gone when nothing is left there for Outpost: no follower of the owner's, nothing
 * held, no failure, and its latest answers said that the accounts delivered to are no more
 * (404/410 for every inbox tried, none taken since). With followers there, one deleted account
 * says nothing of the others.
 */
const unlessGone = (
  condition: HostCondition,
  facts: { contact: HostContactRow | undefined; followers: number },
): HostCondition =>
  (condition === "healthy" || condition === "slow") &&
  facts.followers === 0 &&
  facts.contact?.goneAt != null
    ? "gone"
    : condition;

/** A host's condition, as its object tells it. */
export function conditionOf(status: HostStatus): HostCondition {
  if (status.unavailable) return "unavailable";
  if (status.circuit === "open") return "open";
  if (status.failures > 0 || status.parked > 0) return "backing-off";
  return status.slow ? "slow" : "healthy";
}

/**
 * Whether a host the mirror gives as `mirrored` may be `wanted`: the mirror says backing off
 * for an open circuit too, which only the host's object tells apart.
 */
const mayBe = (mirrored: HostCondition, wanted: HostCondition): boolean =>
  mirrored === wanted || (mirrored === "backing-off" && wanted === "open");

/**
 * A table's rows in host order, up to `MAX_LISTED`, in one query (D1 counts queries an
 * invocation); and whether it holds more.
 */
async function readHosts<T extends { host: string }>(
  read: (page: { after: string; limit: number }) => Promise<T[]>,
): Promise<{ rows: T[]; truncated: boolean }> {
  const rows = await read({ after: "", limit: MAX_LISTED + 1 });
  return { rows: rows.slice(0, MAX_LISTED), truncated: rows.length > MAX_LISTED };
}

/** Each host's record from its object; undefined for one that did not answer. */
async function askObjects(
  ctx: Pick<AppContext, "hosts">,
  hosts: readonly string[],
): Promise<Map<string, HostStatus | undefined>> {
  recorder().inc("outpost_do_calls_total", { method: "status" }, hosts.length);
  const settled = await Promise.allSettled(
    hosts.map((host) => ctx.hosts.get(ctx.hosts.idFromName(host)).status()),
  );
  return new Map(
    hosts.map((host, i) => {
      const result = settled[i];
      if (result?.status === "fulfilled") return [host, result.value as HostStatus];
      console.error(`hosts page: ${host}'s object did not answer: ${String(result?.reason)}`);
      return [host, undefined];
    }),
  );
}

/** Largest first; null (a failing host whose object is not asked yet) before any number. */
const mostFirst =
  (value: (h: HostView) => number | null) =>
  (a: HostView, b: HostView): number => {
    const [x, y] = [value(a), value(b)];
    if (x === y) return 0;
    if (x === null || y === null) return x === null ? -1 : 1;
    return y - x;
  };

/** By `order`; null (none) last. */
const byNullable =
  (value: (h: HostView) => number | null, order: (a: number, b: number) => number) =>
  (a: HostView, b: HostView): number => {
    const [x, y] = [value(a), value(b)];
    if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1;
    return order(x, y);
  };

const SORTS: Readonly<Record<HostSort, (a: HostView, b: HostView) => number>> = {
  host: () => 0,
  state: (a, b) => SEVERITY[b.condition] - SEVERITY[a.condition],
  followers: (a, b) => b.followers - a.followers,
  failures: mostFirst((h) => h.failures),
  parked: mostFirst((h) => h.parked),
  next: byNullable(
    (h) => h.nextAttempt?.getTime() ?? null,
    (x, y) => x - y,
  ),
  last: byNullable(
    (h) => h.lastSuccess?.getTime() ?? null,
    (x, y) => y - x,
  ),
};

interface HostFacts {
  readonly host: string;
  readonly row: HostStateRow | undefined;
  readonly contact: HostContactRow | undefined;
  readonly followers: number;
}

/** A host as D1 tells it: the mirror's row, or none (healthy, holding nothing). */
function mirrorView(facts: HostFacts): HostView {
  const { row, contact } = facts;
  const mirrored = MIRRORED[row?.state ?? "healthy"];
  // The mirror lists a host as healthy or slow only while it holds nothing and has not failed.
  const known = mirrored === "healthy" || mirrored === "slow";
  return {
    host: facts.host,
    followers: facts.followers,
    condition: unlessGone(mirrored, facts),
    failures: known ? 0 : null,
    parked: known ? 0 : null,
    lastSuccess: contact?.lastSuccessAt ?? null,
    nextAttempt: row?.nextAttemptAt ?? null,
    flavour: row?.flavour ?? "cavage",
  };
}

/** A host as its object tells it. */
function statusView(
  view: HostView,
  told: { status: HostStatus; contact: HostContactRow | undefined },
  now: Date,
): HostView {
  const { status } = told;
  const next = status.nextAttemptAt ?? view.nextAttempt;
  return {
    ...view,
    condition: unlessGone(conditionOf(status), {
      contact: told.contact,
      followers: view.followers,
    }),
    failures: status.failures,
    parked: status.parked,
    // A time passed with nothing held is no appointment.
    nextAttempt: next !== null && (status.parked > 0 || next > now) ? next : null,
    flavour: status.flavour,
  };
}

/** One page of the hosts, filtered by condition (or host) and sorted (then by name). */
export async function loadHosts(ctx: AppContext, query: HostQuery): Promise<HostList> {
  const owner = ctx.config.urls.owner.id;
  const [followers, listed, contacted] = await Promise.all([
    followersByHostQuery(ctx.db, owner),
    readHosts((page) => listedHostsQuery(ctx.db, page)),
    readHosts((page) => hostContactsQuery(ctx.db, page)),
  ]);
  const mirror = new Map(listed.rows.map((row) => [row.host, row]));
  const contacts = new Map(contacted.rows.map((row) => [row.host, row]));
  const counts = new Map(followers.map((f) => [f.host, f.followers]));
  const known = (host: string) => counts.has(host) || mirror.has(host) || contacts.has(host);
  const names =
    query.host === undefined
      ? [...new Set([...counts.keys(), ...mirror.keys(), ...contacts.keys()])]
      : [query.host].filter(known);
  const order = (a: HostView, b: HostView) =>
    SORTS[query.sort](a, b) || a.host.localeCompare(b.host);
  const wanted = query.state;
  const matching = names
    .map((host) =>
      mirrorView({
        host,
        row: mirror.get(host),
        contact: contacts.get(host),
        followers: counts.get(host) ?? 0,
      }),
    )
    .filter(
      (h) =>
        wanted === undefined ||
        mayBe(h.condition, wanted) ||
        // Failing as the mirror has it, its object may since say it holds nothing.
        (wanted === "gone" && h.followers === 0 && contacts.get(h.host)?.goneAt != null),
    )
    .sort(order);
  const start = (query.page - 1) * HOSTS_PER_PAGE;
  const page = matching.slice(start, start + HOSTS_PER_PAGE);
  const statuses = await askObjects(
    ctx,
    page.filter((h) => mirror.has(h.host)).map((h) => h.host),
  );
  const now = ctx.now();
  const told = page.map((view) => {
    const status = statuses.get(view.host);
    if (status === undefined) return view;
    return statusView(view, { status, contact: contacts.get(view.host) }, now);
  });
  // Asked, a host may turn out to be in another state than the one filtered on.
  const shown = told.filter(
    (h) => wanted === undefined || statuses.get(h.host) === undefined || h.condition === wanted,
  );
  return {
    hosts: shown.sort(order),
    total: matching.length,
    perPage: HOSTS_PER_PAGE,
    unanswered: [...statuses.values()].filter((s) => s === undefined).length,
    leftOut: told.length - shown.length,
    cutOffAt: listed.truncated || contacted.truncated ? MAX_LISTED : undefined,
  };
}
