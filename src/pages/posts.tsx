/** A page of posts, newest first, with links to older ones and back to the newest. */
import { noteId } from "../mastodon/ids";
import type { PostsPage } from "../storage/public-pages";
import { NoteArticle } from "./note";

/** Posts on a page of a list (the profile, a hashtag): older ones are a link away. */
export const POSTS_PER_PAGE = 20;

export interface PostListProps {
  readonly page: PostsPage;
  readonly origin: string;
  /** The list's own URL, without a cursor: where the newest posts are. */
  readonly base: string;
  /** Whether this page starts below the newest (it was given a `max_id`). */
  readonly paged: boolean;
  /** What to say when there is nothing to list. */
  readonly empty: string;
}

/** The page's posts, then `Older posts` (`?max_id=` of its last) while more follow. */
export function PostList(props: PostListProps) {
  const { page, base } = props;
  const last = page.notes.at(-1);
  const older = page.older && last !== undefined ? `${base}?max_id=${noteId(last)}` : undefined;
  return (
    <>
      {page.notes.length === 0 ? <p class="meta">{props.empty}</p> : null}
      {page.notes.map((note) => (
        <NoteArticle note={note} origin={props.origin} />
      ))}
      {older === undefined && !props.paged ? null : (
        <nav class="pager" aria-label="More posts">
          {props.paged ? <a href={base}>Newest posts</a> : <span />}
          {older === undefined ? null : (
            <a href={older} rel="next">
              Older posts
            </a>
          )}
        </nav>
      )}
    </>
  );
}
