/** The owner as every public page names them: their name, their handle, and how to follow. */
import { profileImages } from "../activitypub/actor";
import type { Config } from "../env";
import type { Profile } from "../storage/owner-profile";

/** The name a page shows: the display name, or the username when it is blank (as Mastodon). */
export function shownName(config: Config, profile: Pick<Profile, "displayName">): string {
  return profile.displayName === "" ? config.owner.username : profile.displayName;
}

/** `@user@host`, as the fediverse writes a handle. */
export const ownerHandle = (config: Config) => `@${config.owner.username}@${config.host}`;

/** Where the Follow button goes: the page that asks the visitor's handle (`http/remote-follow.ts`). */
export const FOLLOW_PATH = "/follow";

/** The Follow button: a link to the form, so that the pages themselves hold no form. */
export function FollowButton() {
  return (
    <a class="button" href={FOLLOW_PATH} rel="nofollow">
      Follow
    </a>
  );
}

/** The bar at the top of a note's or a hashtag's page: who this is, and Follow. */
export function OwnerBar(props: { readonly config: Config; readonly profile: Profile }) {
  const { config, profile } = props;
  const { avatar } = profileImages(config, profile);
  const home = config.urls.owner.profile;
  return (
    <header class="owner">
      {avatar === undefined ? null : (
        <a href={home}>
          <img src={avatar} alt="" width={40} height={40} />
        </a>
      )}
      <a href={home}>
        <strong>{shownName(config, profile)}</strong>
      </a>
      <span class="handle">{ownerHandle(config)}</span>
      <FollowButton />
    </header>
  );
}
