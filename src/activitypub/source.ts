/**
 * The owner's text back from the HTML `compose.ts` made of it, for an app to edit
 * (Mastodon's status source): paragraphs and line breaks, links as their URLs, hashtags as
 * `#tag`, mentions as the `@user@host` handles they were written as (from the note's
 * Mention tags). Markup it did not make is dropped, its text kept.
 */

/** A Mention tag of the note: `user@host`, and the actor's id. */
export interface MentionTag {
  readonly name: string;
  readonly href: string | null;
}

const MENTION =
  /<span class="h-card" translate="no"><a href="([^"]*)" class="u-url mention">@<span>([^<]*)<\/span><\/a><\/span>/g;
const HASHTAG = /<a href="[^"]*" class="mention hashtag" rel="tag">#<span>([^<]*)<\/span><\/a>/g;
const LINK = /<a href="([^"]*)" target="_blank" rel="nofollow noopener noreferrer">[^<]*<\/a>/g;

const UNESCAPES = new Map([
  ["amp", "&"],
  ["lt", "<"],
  ["gt", ">"],
  ["quot", '"'],
  ["#39", "'"],
]);

/** `escapeHtml` undone, in one pass (so that `&amp;lt;` is `&lt;`, as written). */
const unescapeHtml = (html: string) =>
  html.replace(/&(amp|lt|gt|quot|#39);/g, (whole, name: string) => UNESCAPES.get(name) ?? whole);

/** The handle a mention link stands for: its tag's, by username (and host when several). */
function handleOf(href: string, username: string, mentions: readonly MentionTag[]): string {
  const user = username.toLowerCase();
  const host = URL.parse(unescapeHtml(href))?.host.toLowerCase();
  const same = mentions.filter((m) => m.name.toLowerCase().split("@")[0] === user);
  const tag = same.find((m) => m.name.toLowerCase().endsWith(`@${host}`)) ?? same[0];
  return tag?.name ?? (host === undefined ? username : `${username}@${host}`);
}

/** The text the owner wrote, from the HTML composed of it and the note's mentions. */
export function sourceText(html: string, mentions: readonly MentionTag[]): string {
  const text = html
    .replace(MENTION, (_m, href: string, user: string) => `@${handleOf(href, user, mentions)}`)
    .replace(HASHTAG, (_m, tag: string) => `#${tag}`)
    .replace(LINK, (_m, href: string) => href)
    .replace(/<\/p>\s*<p>/g, "\n\n")
    .replace(/<br\s*\/?>/g, "\n")
    .replace(/<[^>]*>/g, "");
  return unescapeHtml(text);
}
