/**
 * The Follow form: the visitor types their handle (`you@your.server`); their server's
 * WebFinger says where its users follow someone (`http/remote-follow.ts`), and the visitor is
 * sent there. A GET form: it changes nothing here, so it needs no CSRF token and no cookie.
 */
import { profileImages } from "../activitypub/actor";
import type { Config } from "../env";
import type { Profile } from "../storage/owner-profile";
import { layout } from "./layout";
import { FOLLOW_PATH, ownerHandle, shownName } from "./owner";

export interface FollowPageProps {
  readonly config: Config;
  readonly profile: Profile;
  /** What the visitor typed, to type again. */
  readonly acct?: string;
  /** Why it did not work. */
  readonly error?: string;
  /** The handle came from a link elsewhere: ask the visitor to send it themselves. */
  readonly confirm?: boolean;
}

export function followPage(props: FollowPageProps) {
  const { config, profile } = props;
  const name = shownName(config, profile);
  const handle = ownerHandle(config);
  const { avatar } = profileImages(config, profile);
  return layout({
    title: `Follow ${name} (${handle})`,
    noindex: true,
    body: (
      <main>
        <header class="owner">
          {avatar === undefined ? null : <img src={avatar} alt="" width={40} height={40} />}
          <a href={config.urls.owner.profile}>
            <strong>{name}</strong>
          </a>
          <span class="handle">{handle}</span>
        </header>
        <h1>Follow {name}</h1>
        <p>
          With an account on Mastodon, Misskey, GoToSocial or any other fediverse server, you can
          follow {handle}: type your own handle, and your server will ask you to confirm.
        </p>
        {props.error === undefined ? null : <p role="alert">{props.error}</p>}
        {props.confirm ? (
          <p role="status">Check the handle, then press Follow to go on to your server.</p>
        ) : null}
        <form class="follow" method="get" action={FOLLOW_PATH}>
          <label for="acct">Your handle</label>
          <input
            id="acct"
            name="acct"
            type="text"
            value={props.acct}
            placeholder="you@your.server"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            required
            autofocus
          />
          <button type="submit">Follow</button>
        </form>
        <p class="meta">
          Or search for <strong>{handle}</strong> on your own server.
        </p>
      </main>
    ),
  });
}
