/** A hashtag's page: the owner's public posts that carry it, newest first, a page at a time. */
import type { Config } from "../env";
import type { TagPage } from "../storage/public-pages";
import { layout } from "./layout";
import { OwnerBar, shownName } from "./owner";
import { PostList } from "./posts";

export interface TagPageProps {
  readonly config: Config;
  /** The hashtag's stored name (lower-cased, without `#`). */
  readonly tag: string;
  readonly page: TagPage;
  readonly paged: boolean;
}

/** The page's own URL: the name escaped as a path segment, as posts link it. */
export const tagUrl = (config: Config, tag: string) =>
  `${config.origin}/tags/${encodeURIComponent(tag)}`;

export function tagPage(props: TagPageProps) {
  const { config, tag, page } = props;
  const name = shownName(config, page.profile);
  const empty = page.posts.notes.length === 0 && !props.paged;
  return layout({
    title: `#${tag} · ${name}`,
    description: `Public posts by ${name} tagged #${tag}`,
    canonical: tagUrl(config, tag),
    noindex: empty,
    body: (
      <>
        <OwnerBar config={config} profile={page.profile} />
        <main>
          <h1>#{tag}</h1>
          <p class="meta">
            {empty
              ? `${name} has no public posts tagged #${tag}.`
              : `Public posts by ${name} tagged #${tag}`}
          </p>
          <PostList
            page={page.posts}
            origin={config.origin}
            base={tagUrl(config, tag)}
            paged={props.paged}
            empty={props.paged ? "No older posts." : ""}
          />
        </main>
      </>
    ),
  });
}
