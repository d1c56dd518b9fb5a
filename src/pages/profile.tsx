/**
 * The owner's profile page, what a browser gets at the actor's URL and at `/@username`: the
 * header and avatar, name, bio, fields, counts, a Follow button, the pins and a page of posts
 * (public and unlisted, as the outbox lists them) with their files, older ones a link away.
 */
import { raw } from "hono/html";
import { profileImages } from "../activitypub/actor";
import { fieldValueToHtml, textToHtml } from "../activitypub/text";
import type { Config } from "../env";
import type { ProfilePage } from "../storage/public-pages";
import type { OwnerField } from "../storage/schema";
import { layout, type Meta } from "./layout";
import { NoteArticle } from "./note";
import { FollowButton, ownerHandle, shownName } from "./owner";
import { PostList } from "./posts";
import { truncate } from "./text";

export interface ProfilePageProps {
  readonly config: Config;
  readonly page: ProfilePage;
  /** The page starts below the newest posts (`?max_id=`). */
  readonly paged: boolean;
}

/**
 * A field's value: a link, marked `rel="me"` as Mastodon marks them. A link whose page links
 * back (`federation/profile-links.ts`) is marked verified, with a check mark and the day of
 * its last check.
 */
const Fields = (props: { readonly fields: readonly OwnerField[] }) =>
  props.fields.length === 0 ? null : (
    <dl class="fields">
      {props.fields.map((f) => {
        const verified = f.verifiedAt === undefined ? undefined : "verified";
        const title =
          f.verifiedAt === undefined
            ? undefined
            : `Verified link: checked ${f.verifiedAt.slice(0, 10)}`;
        return (
          <>
            <dt class={verified}>{f.name}</dt>
            <dd class={verified} title={title}>
              {verified === undefined ? null : <span class="check">✓ </span>}
              {raw(fieldValueToHtml(f.value))}
            </dd>
          </>
        );
      })}
    </dl>
  );

/** The card other sites show of a link to the profile (OpenGraph, Twitter). */
function profileMeta(
  config: Config,
  props: { readonly name: string; readonly bio: string; readonly avatar?: string },
): Meta[] {
  const { profile } = config.urls.owner;
  return [
    { property: "og:site_name", content: config.host },
    { property: "og:type", content: "profile" },
    { property: "og:title", content: `${props.name} (${ownerHandle(config)})` },
    ...(props.bio === "" ? [] : [{ property: "og:description", content: props.bio }]),
    { property: "og:url", content: profile },
    ...(props.avatar === undefined ? [] : [{ property: "og:image", content: props.avatar }]),
    { property: "profile:username", content: `${config.owner.username}@${config.host}` },
    { name: "twitter:card", content: "summary" },
  ];
}

export function profilePage(props: ProfilePageProps) {
  const { config, page } = props;
  const { summary, pinned, posts } = page;
  const { profile } = summary;
  const handle = ownerHandle(config);
  const name = shownName(config, profile);
  const { avatar, header } = profileImages(config, profile);
  const bio = truncate(profile.note.replace(/\s+/g, " ").trim(), 200);
  return layout({
    title: `${name} (${handle})`,
    description: bio === "" ? undefined : bio,
    canonical: config.urls.owner.profile,
    alternate: config.urls.owner.id,
    meta: profileMeta(config, { name, bio, avatar }),
    body: (
      <>
        <header class="profile">
          {header === undefined ? null : <img class="header" src={header} alt="" />}
          {avatar === undefined ? null : <img class="avatar" src={avatar} alt="" />}
          <h1>{name}</h1>
          <p class="handle">{handle}</p>
          <FollowButton />
          {raw(textToHtml(profile.note))}
          <Fields fields={profile.fields} />
          <p class="meta counts">
            {summary.posts} posts · {summary.following} following · {summary.followers} followers
          </p>
        </header>
        <main>
          {pinned.length === 0 ? null : (
            <section class="pinned">
              <h2>Pinned</h2>
              {pinned.map((note) => (
                <NoteArticle note={note} origin={config.origin} pinned />
              ))}
            </section>
          )}
          <section class="posts">
            <h2>Posts</h2>
            <PostList
              page={posts}
              origin={config.origin}
              base={config.urls.owner.profile}
              paged={props.paged}
              empty={props.paged ? "No older posts." : "No posts yet."}
            />
          </section>
        </main>
      </>
    ),
  });
}
