/**
 * `/admin/hosts/block?host=…`: what blocking a domain ends, asked before anything is done.
 * Its form sends `confirm=1`; a block without it only brings this page.
 */
import { count } from "./format";
import { AdminPage, Csrf } from "./layout";

export interface BlockHostProps {
  readonly csrf: string;
  /** The domain, lower-cased. */
  readonly host: string;
  /** Its accounts that follow the owner (requests included). */
  readonly followers: number;
  /** Its accounts the owner follows (requests included). */
  readonly following: number;
}

export function BlockHostPage(props: BlockHostProps) {
  const { host, followers, following } = props;
  return (
    <AdminPage title={`Block ${host}?`} section="hosts" csrf={props.csrf}>
      <p>
        Blocking <strong>{host}</strong> ends the follows with its accounts both ways, each one
        told:
      </p>
      <ul id="block-ends">
        <li>
          {count(followers)} {followers === 1 ? "account there follows" : "accounts there follow"}{" "}
          the owner;
        </li>
        <li>the owner follows {count(following)} there.</li>
      </ul>
      <p>What it sends is dropped from then on.</p>
      <p role="alert">
        This cannot be undone: lifting the block later does not bring the follows back.
      </p>
      <form method="post" action="/admin/hosts/block">
        <Csrf token={props.csrf} />
        <input type="hidden" name="host" value={host} />
        <input type="hidden" name="confirm" value="1" />
        <button type="submit">Block {host}</button>{" "}
        <a href={`/admin/hosts?host=${encodeURIComponent(host)}`}>Cancel</a>
      </form>
    </AdminPage>
  );
}
