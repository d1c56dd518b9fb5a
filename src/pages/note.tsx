/** A note as browsers see it: alone on its page, with its replies, or in a list of posts. */
import { raw } from "hono/html";
import { profileImages } from "../activitypub/actor";
import type { Config } from "../env";
import { attachmentTypeOf } from "../mastodon/media";
import type { Profile } from "../storage/owner-profile";
import type { Reply } from "../storage/public-pages";
import type { NoteRow } from "../storage/schema";
import { layout, type Meta } from "./layout";
import { Attachments } from "./media";
import { OwnerBar, ownerHandle, shownName } from "./owner";
import { htmlToText, safeHref, truncate } from "./text";

/** Who wrote a note shown under another (a reply): their name, handle and page. */
export interface NoteAuthor {
  readonly name: string;
  readonly handle: string;
  readonly url?: string;
}

export interface NoteArticleProps {
  readonly note: NoteRow;
  /** Our origin: the files under its `/media/` are shown, others linked. */
  readonly origin: string;
  /** Named above the note (a reply); the owner's own pages name no one. */
  readonly author?: NoteAuthor;
  readonly pinned?: boolean;
  /** Links the note it answers, if any. Default true; a reply under its parent does not. */
  readonly showParent?: boolean;
}

/**
 * One note. Its HTML is ours (made from the owner's text) or was sanitised on arrival; its
 * content warning and every name are text, escaped. A content warning folds the note and its
 * files behind a click (`<details>`, no script); files marked sensitive fold on their own.
 */
export function NoteArticle(props: NoteArticleProps) {
  const { note, author } = props;
  const published = note.published.toISOString();
  const parent = props.showParent === false ? undefined : safeHref(note.inReplyTo);
  const warned = note.summary !== null && note.summary !== "";
  const body = (
    <>
      {raw(note.content)}
      <Attachments
        attachments={note.attachments ?? []}
        origin={props.origin}
        sensitive={note.sensitive && !warned}
      />
    </>
  );
  return (
    <article>
      {author === undefined ? null : (
        <p class="author">
          {author.url === undefined ? (
            <strong>{author.name}</strong>
          ) : (
            <a href={author.url} rel="nofollow noopener">
              <strong>{author.name}</strong>
            </a>
          )}{" "}
          <span class="handle">{author.handle}</span>
        </p>
      )}
      <p class="meta">
        {props.pinned === true ? "Pinned · " : ""}
        <a href={safeHref(note.url) ?? safeHref(note.id)}>
          <time datetime={published}>{published.slice(0, 16).replace("T", " ")} UTC</time>
        </a>
        {note.updated === null ? "" : " · edited"}
        {parent === undefined ? null : (
          <>
            {" · "}
            <a href={parent}>in reply to a post</a>
          </>
        )}
      </p>
      {warned ? (
        <details>
          <summary>{note.summary}</summary>
          {body}
        </details>
      ) : (
        body
      )}
    </article>
  );
}

/** How a reply's author is named: the owner by their profile, others as stored. */
function replyAuthor(config: Config, profile: Profile, reply: Reply): NoteAuthor {
  if (reply.author === null) {
    return reply.note.attributedTo === config.urls.owner.id
      ? {
          name: shownName(config, profile),
          handle: ownerHandle(config),
          url: config.urls.owner.profile,
        }
      : { name: reply.note.attributedTo, handle: "" };
  }
  const { name, username, domain, url } = reply.author;
  const handle = username === null ? domain : `@${username}@${domain}`;
  return {
    name: name === null || name.trim() === "" ? (username ?? domain) : name,
    handle,
    url: safeHref(url) ?? safeHref(reply.note.attributedTo),
  };
}

/** The longest description a link preview is given (Mastodon's is about as long). */
const DESCRIPTION_LENGTH = 200;

/** What the files of a note are, in words: `Attached: 2 images` (as Mastodon describes them). */
function attachedText(note: NoteRow): string {
  const files = note.attachments ?? [];
  if (files.length === 0) return "";
  const kinds = new Set(files.map((f) => attachmentTypeOf(f.mediaType, f.type)));
  const [only] = kinds;
  const noun = kinds.size === 1 && only !== undefined && only !== "unknown" ? only : "file";
  return `Attached: ${files.length} ${noun}${files.length === 1 ? "" : "s"}`;
}

/** The note's first picture of ours that a preview may show: none behind a warning. */
function previewImage(note: NoteRow, origin: string) {
  if (note.sensitive || (note.summary ?? "") !== "") return undefined;
  return (note.attachments ?? []).find(
    (f) => attachmentTypeOf(f.mediaType, f.type) === "image" && f.url.startsWith(`${origin}/`),
  );
}

/** The card other sites show of a link to the note (OpenGraph, Twitter). */
export function noteMeta(config: Config, note: NoteRow, profile: Profile): Meta[] {
  const warning = note.summary ?? "";
  const text = warning === "" ? htmlToText(note.content) : `Content warning: ${warning}`;
  const description = truncate(
    [text, attachedText(note)].filter((s) => s !== "").join(" · "),
    DESCRIPTION_LENGTH,
  );
  const image = previewImage(note, config.origin);
  const picture = image?.url ?? profileImages(config, profile).avatar;
  const shown = (property: string, content: string | number | undefined): Meta[] =>
    content === undefined || content === "" ? [] : [{ property, content: String(content) }];
  return [
    { property: "og:site_name", content: config.host },
    { property: "og:type", content: "article" },
    { property: "og:title", content: `${shownName(config, profile)} (${ownerHandle(config)})` },
    ...shown("og:description", description),
    { property: "og:url", content: note.url ?? note.id },
    ...shown("og:image", picture),
    ...shown("og:image:width", image?.width),
    ...shown("og:image:height", image?.height),
    ...shown("og:image:alt", image?.name),
    { property: "article:published_time", content: note.published.toISOString() },
    ...shown("article:modified_time", note.updated?.toISOString()),
    { name: "twitter:card", content: image === undefined ? "summary" : "summary_large_image" },
  ];
}

export interface NotePageProps {
  readonly config: Config;
  readonly note: NoteRow;
  readonly profile: Profile;
  readonly replies: readonly Reply[];
  readonly moreReplies: boolean;
}

/** A note's page: the owner, the note, the replies anyone may see (oldest first). */
export function notePage(props: NotePageProps) {
  const { config, note, profile, replies } = props;
  const name = shownName(config, profile);
  const warning = note.summary ?? "";
  const excerpt = truncate(warning === "" ? htmlToText(note.content) : warning, 60);
  const meta = noteMeta(config, note, profile);
  return layout({
    title: excerpt === "" ? `${name} (${ownerHandle(config)})` : `${name}: “${excerpt}”`,
    description: meta.find((m) => "property" in m && m.property === "og:description")?.content,
    canonical: note.url ?? note.id,
    alternate: note.id,
    meta,
    body: (
      <>
        <OwnerBar config={config} profile={profile} />
        <main>
          <NoteArticle note={note} origin={config.origin} />
          {replies.length === 0 ? null : (
            <section class="replies">
              <h2>Replies</h2>
              {replies.map((reply) => (
                <NoteArticle
                  note={reply.note}
                  origin={config.origin}
                  author={replyAuthor(config, profile, reply)}
                  showParent={false}
                />
              ))}
              {props.moreReplies ? (
                <p class="meta">More replies are not shown here: open the post on your server.</p>
              ) : null}
            </section>
          )}
        </main>
      </>
    ),
  });
}
