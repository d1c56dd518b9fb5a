/**
 * `/admin/hosts`: every host delivered to, its state, sortable and filterable by query
 * parameters (no script), a page at a time, with the owner's actions on a host: retry now,
 * forget its failure record, block its domain (which asks first: a GET form to its page).
 */
import { count, relative } from "./format";
import {
  CONDITIONS,
  type HostCondition,
  type HostList,
  type HostQuery,
  type HostSort,
  type HostView,
} from "./host-types";
import { AdminPage, Csrf } from "./layout";

export interface HostsProps {
  readonly csrf: string;
  readonly list: HostList;
  readonly query: HostQuery;
  readonly now: Date;
  /** What the last action did, said once. */
  readonly notice?: string;
}

const LABELS: Readonly<Record<HostCondition, string>> = {
  healthy: "healthy",
  slow: "slow",
  "backing-off": "backing off",
  open: "circuit open",
  unavailable: "unavailable",
  gone: "gone",
};

const TONE: Readonly<Record<HostCondition, string | undefined>> = {
  healthy: "good",
  slow: undefined,
  "backing-off": "warn",
  open: "bad",
  unavailable: "bad",
  gone: undefined,
};

type LinkQuery = Partial<HostQuery>;

function link(query: LinkQuery): string {
  const params = new URLSearchParams();
  if (query.sort !== undefined && query.sort !== "host") params.set("sort", query.sort);
  if (query.state !== undefined) params.set("state", query.state);
  if (query.host !== undefined) params.set("host", query.host);
  if (query.page !== undefined && query.page > 1) params.set("page", String(query.page));
  const text = params.toString();
  return text === "" ? "/admin/hosts" : `/admin/hosts?${text}`;
}

/** One action on a host: a form of one button. */
function Action(props: { csrf: string; host: string; action: string; label: string }) {
  return (
    <form class="inline" method="post" action={`/admin/hosts/${props.action}`}>
      <Csrf token={props.csrf} />
      <input type="hidden" name="host" value={props.host} />
      <button type="submit">{props.label}</button>
    </form>
  );
}

function Row(props: { host: HostView; csrf: string; now: Date }) {
  const { host: h, csrf, now } = props;
  const unknown = <span class="muted">unknown</span>;
  const troubled =
    h.condition === "backing-off" || h.condition === "open" || h.condition === "unavailable";
  return (
    <tr id={`host-${h.host}`} data-state={h.condition}>
      <td>{h.host}</td>
      <td class={TONE[h.condition]}>{LABELS[h.condition]}</td>
      <td class="n">{count(h.followers)}</td>
      <td class="n">{h.failures === null ? unknown : h.failures}</td>
      <td class="n parked">{h.parked === null ? unknown : h.parked}</td>
      <td>{h.lastSuccess === null ? "—" : relative(h.lastSuccess, now)}</td>
      <td>{h.nextAttempt === null ? "—" : relative(h.nextAttempt, now)}</td>
      <td>{h.flavour === "rfc9421" ? "RFC 9421" : "cavage"}</td>
      <td class="actions">
        {h.parked !== 0 ? (
          <Action csrf={csrf} host={h.host} action="retry" label="Retry now" />
        ) : null}
        {troubled || h.failures !== 0 ? (
          <Action csrf={csrf} host={h.host} action="forget" label="Forget failures" />
        ) : null}
        {troubled || h.condition === "gone" ? (
          <form class="inline" method="get" action="/admin/hosts/block">
            <input type="hidden" name="host" value={h.host} />
            <button type="submit">Block domain…</button>
          </form>
        ) : null}
      </td>
    </tr>
  );
}

const COLUMNS: readonly { readonly label: string; readonly sort?: HostSort; readonly n?: true }[] =
  [
    { label: "Host", sort: "host" },
    { label: "State", sort: "state" },
    { label: "Followers", sort: "followers", n: true },
    { label: "Failures", sort: "failures", n: true },
    { label: "Parked", sort: "parked", n: true },
    { label: "Last success", sort: "last" },
    { label: "Next attempt", sort: "next" },
    { label: "Signature" },
    { label: "Actions" },
  ];

/** What the count line adds: a filter on one host, the list cut off, objects that did not answer. */
function Caveats(props: { list: HostList; query: HostQuery }) {
  const { list, query } = props;
  return (
    <>
      {query.host === undefined ? null : (
        <p>
          Only {query.host}. <a href={link({ sort: query.sort })}>Show all hosts</a>
        </p>
      )}
      {list.cutOffAt === undefined ? null : (
        <p role="alert">
          The list is cut off: more than {count(list.cutOffAt)} hosts are recorded as failing, or as
          reached, and only the first {count(list.cutOffAt)} of each by name are read. Hosts past
          them may be missing here, or shown without their last success or state.
        </p>
      )}
      {list.unanswered > 0 ? (
        <p role="alert">
          {list.unanswered} hosts' objects did not answer: their failures and parked deliveries show
          as unknown.
        </p>
      ) : null}
      {list.leftOut > 0 ? (
        <p class="muted">
          {list.leftOut} hosts of this page turned out, asked, not to be{" "}
          {LABELS[query.state ?? "healthy"]}.
        </p>
      ) : null}
    </>
  );
}

export function HostsPage(props: HostsProps) {
  const { list, query, csrf } = props;
  const { page } = query;
  const pages = Math.max(1, Math.ceil(list.total / list.perPage));
  return (
    <AdminPage title="Hosts" section="hosts" csrf={csrf}>
      {props.notice === undefined ? null : <p role="status">{props.notice}</p>}
      <nav aria-label="Filter by state">
        Show{" "}
        <a
          href={link({ sort: query.sort })}
          aria-current={query.state === undefined ? "page" : undefined}
        >
          all
        </a>
        {CONDITIONS.map((state) => (
          <a
            href={link({ sort: query.sort, state })}
            aria-current={query.state === state ? "page" : undefined}
          >
            {LABELS[state]}
          </a>
        ))}
      </nav>
      <p class="muted">
        {count(list.total)} hosts. Failures and parked deliveries come from each failing host's
        object, asked for the rows shown; a healthy host has none. "Last success": when a delivery
        there last went through, to the minute. "Gone": no follower there, and its latest answers
        said that the accounts delivered to there no longer exist (404 or 410), none taken since.
      </p>
      <Caveats list={list} query={query} />
      <table id="hosts">
        <thead>
          <tr>
            {COLUMNS.map((col) => (
              <th class={col.n ? "n" : undefined}>
                {col.sort === undefined ? (
                  col.label
                ) : (
                  <a
                    href={link({ sort: col.sort, state: query.state, host: query.host })}
                    aria-current={col.sort === query.sort ? "true" : undefined}
                  >
                    {col.label}
                  </a>
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {list.hosts.map((host) => (
            <Row host={host} csrf={csrf} now={props.now} />
          ))}
        </tbody>
      </table>
      {pages > 1 ? (
        <p>
          Page {page} of {pages}.{" "}
          {page > 1 ? <a href={link({ ...query, page: page - 1 })}>Previous</a> : null}{" "}
          {page < pages ? <a href={link({ ...query, page: page + 1 })}>Next</a> : null}
        </p>
      ) : null}
      <h2>Block a domain</h2>
      <p class="muted">
        Ends the follows with its accounts both ways (each is told), and drops what it sends. The
        next page says what it would end, and asks.
      </p>
      <form method="get" action="/admin/hosts/block">
        <label>
          Domain <input name="host" required />
        </label>{" "}
        <button type="submit">Block…</button>
      </form>
    </AdminPage>
  );
}
