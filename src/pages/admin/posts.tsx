/**
 * `/admin/posts`: the owner's latest posts, each with where its latest activity stands; and
 * `/admin/posts/:id`: each activity about one post with how many hosts stand where, and one
 * activity's hosts (the latest's unless `?activity=` names another), a page at a time
 * (`?page=`): delivered, pending, retrying, parked, failed, with the reason and the next
 * attempt, and "retry now" where a host holds it.
 */
import type { HostDelivery } from "../../storage/deliveries";
import { count, relative, utc } from "./format";
import { AdminPage, Csrf } from "./layout";
import {
  DELIVERY_STATES,
  type DeliveredActivity,
  type HostsShown,
  type PostLine,
} from "./post-types";

const TONE: Readonly<Record<HostDelivery["state"], string | undefined>> = {
  delivered: "good",
  pending: undefined,
  retrying: "warn",
  parked: "warn",
  failed: "bad",
};

function Summary(props: { summary: PostLine["summary"] }) {
  const parts = DELIVERY_STATES.filter((s) => props.summary[s] > 0);
  if (parts.length === 0) return <span class="muted">no remote host</span>;
  return (
    <span>
      {parts.map((s, i) => (
        <>
          {i > 0 ? ", " : ""}
          <span class={TONE[s]}>
            {count(props.summary[s])} {s}
          </span>
        </>
      ))}
    </span>
  );
}

export function PostsPage(props: { csrf: string; posts: readonly PostLine[]; now: Date }) {
  return (
    <AdminPage title="Posts" section="posts" csrf={props.csrf}>
      {props.posts.length === 0 ? <p>No posts yet.</p> : null}
      <table id="posts">
        <thead>
          <tr>
            <th>Published</th>
            <th>Post</th>
            <th>Hosts (latest activity)</th>
          </tr>
        </thead>
        <tbody>
          {props.posts.map((post) => (
            <tr>
              <td>
                <a href={`/admin/posts/${post.apiId}`}>{relative(post.published, props.now)}</a>
              </td>
              <td>
                {post.deleted ? <span class="muted">(deleted) </span> : null}
                {post.text || <span class="muted">(no text)</span>}
              </td>
              <td>
                {post.latest === undefined ? "" : `${post.latest}: `}
                <Summary summary={post.summary} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </AdminPage>
  );
}

function HostRow(props: { host: HostDelivery; csrf: string; back: string; now: Date }) {
  const { host: h } = props;
  const held = h.state === "retrying" || h.state === "parked";
  return (
    <tr data-host={h.host} data-state={h.state}>
      <td>{h.host}</td>
      <td class={TONE[h.state]}>{h.state}</td>
      <td class="n">{h.attempts}</td>
      <td>{h.lastError ?? ""}</td>
      <td>{h.nextAttemptAt === null ? "—" : relative(h.nextAttemptAt, props.now)}</td>
      <td>
        {held ? (
          <form class="inline" method="post" action="/admin/hosts/retry">
            <Csrf token={props.csrf} />
            <input type="hidden" name="host" value={h.host} />
            <input type="hidden" name="back" value={props.back} />
            <button type="submit">Retry now</button>
          </form>
        ) : null}
      </td>
    </tr>
  );
}

/** Where a post's page shows one activity's hosts, a page of them. */
type HostsLink = (at: { activity: number; page: number }) => string;

/** "Hosts 101–200 of 250", with the way to the pages beside. */
function Pager(props: { total: number; shown: HostsShown; link: HostsLink }) {
  const { total, shown, link } = props;
  const { activity, page, perPage } = shown;
  const pages = Math.ceil(total / perPage);
  if (pages <= 1) return null;
  const first = (page - 1) * perPage + 1;
  return (
    <p class="pager">
      Hosts {count(Math.min(first, total))}–{count(Math.min(page * perPage, total))} of{" "}
      {count(total)}. {page > 1 ? <a href={link({ activity, page: page - 1 })}>Previous</a> : null}{" "}
      {page < pages ? <a href={link({ activity, page: page + 1 })}>Next</a> : null}
    </p>
  );
}

interface ActivityProps {
  readonly activity: DeliveredActivity;
  /** Its place (from 1) among the post's activities. */
  readonly index: number;
  readonly shown: HostsShown;
  readonly link: HostsLink;
  readonly csrf: string;
  readonly now: Date;
}

function Activity(props: ActivityProps) {
  const { activity, shown, link } = props;
  const hosts = activity.hosts;
  const total = DELIVERY_STATES.reduce((n, s) => n + activity.summary[s], 0);
  const back = link(shown);
  return (
    <section class="activity" data-type={activity.type}>
      <h2>
        {activity.type} <span class="muted">{utc(activity.published)} UTC</span>
      </h2>
      <p>
        <Summary summary={activity.summary} />
        {hosts === undefined && total > 0 ? (
          <>
            {" "}
            <a href={link({ activity: props.index, page: 1 })}>Show its hosts</a>
          </>
        ) : null}
      </p>
      {hosts === undefined || hosts.length === 0 ? null : (
        <table>
          <thead>
            <tr>
              <th>Host</th>
              <th>State</th>
              <th class="n">Attempts</th>
              <th>Reason</th>
              <th>Next attempt</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {hosts.map((host) => (
              <HostRow host={host} csrf={props.csrf} back={back} now={props.now} />
            ))}
          </tbody>
        </table>
      )}
      {hosts === undefined ? null : <Pager total={total} shown={shown} link={link} />}
    </section>
  );
}

export interface PostPageProps {
  readonly csrf: string;
  readonly post: PostLine;
  readonly activities: readonly DeliveredActivity[];
  readonly shown: HostsShown;
  /** Earlier activities are not listed. */
  readonly earlier: boolean;
  readonly now: Date;
}

export function PostPage(props: PostPageProps) {
  const { post, activities } = props;
  const path = `/admin/posts/${post.apiId}`;
  // The latest activity's first page is the post's page itself.
  const link: HostsLink = ({ activity, page }) =>
    activity === activities.length && page === 1
      ? path
      : `${path}?activity=${activity}&page=${page}`;
  return (
    <AdminPage title="Where a post went" section="posts" csrf={props.csrf}>
      <p>
        {post.deleted ? <span class="muted">(deleted) </span> : null}
        {post.text || <span class="muted">(no text)</span>}
      </p>
      <p class="muted">
        {post.visibility}, published {utc(post.published)} UTC. <a href="/admin/posts">All posts</a>
      </p>
      {activities.length === 0 ? <p>Nothing about it was sent.</p> : null}
      {props.earlier ? (
        <p class="muted">Only the latest {activities.length} activities about it are listed.</p>
      ) : null}
      {activities.map((activity, i) => (
        <Activity
          activity={activity}
          index={i + 1}
          shown={props.shown}
          link={link}
          csrf={props.csrf}
          now={props.now}
        />
      ))}
    </AdminPage>
  );
}
