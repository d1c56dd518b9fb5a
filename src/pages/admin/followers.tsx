/** `/admin/followers`: how many of the owner's followers each host holds. */
import { BarChart } from "./chart";
import { count } from "./format";
import { AdminPage } from "./layout";

export interface FollowersByHost {
  readonly host: string;
  readonly followers: number;
}

/** Hosts drawn as bars; the table lists up to `LISTED`. */
const BARS = 30;
const LISTED = 500;

export function FollowersPage(props: { csrf: string; hosts: readonly FollowersByHost[] }) {
  const { hosts } = props;
  const total = hosts.reduce((a, h) => a + h.followers, 0);
  const listed = hosts.slice(0, LISTED);
  return (
    <AdminPage title="Followers by host" section="followers" csrf={props.csrf}>
      <p>
        {count(total)} followers on {count(hosts.length)} hosts.
      </p>
      {hosts.length === 0 ? null : (
        <BarChart
          title={`Followers on the ${Math.min(BARS, hosts.length)} largest hosts`}
          bars={hosts.slice(0, BARS).map((h) => ({ label: h.host, value: h.followers }))}
        />
      )}
      <table id="followers">
        <thead>
          <tr>
            <th>Host</th>
            <th class="n">Followers</th>
            <th class="n">Share</th>
          </tr>
        </thead>
        <tbody>
          {listed.map((h) => (
            <tr>
              <td>
                <a href={`/admin/hosts?host=${encodeURIComponent(h.host)}`}>{h.host}</a>
              </td>
              <td class="n">{count(h.followers)}</td>
              <td class="n">{((100 * h.followers) / total).toFixed(1)}%</td>
            </tr>
          ))}
        </tbody>
      </table>
      {hosts.length > LISTED ? (
        <p class="muted">and {count(hosts.length - LISTED)} more hosts.</p>
      ) : null}
    </AdminPage>
  );
}
