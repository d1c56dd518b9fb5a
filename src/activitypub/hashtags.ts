/**
 * Hashtag names as Outpost stores and looks them up (`note_tags.name`): NFKC-normalised
 * (fullwidth and other compatibility forms fold to their plain letters, as Mastodon's
 * `HashtagNormalizer` folds them), without `#`, lower-cased. What writes a tag (a post
 * composed, a note received) and what looks one up (search, `tagged=`) normalise alike, so
 * that they agree.
 */

/** What a hashtag's name is made of: letters, digits, marks, `_`, `·` and ZWNJ (Mastodon's). */
const HASHTAG_NAME = /^[\p{L}\p{N}\p{M}_\u00b7\u200c]+$/u;

/** The longest name a lookup takes (Mastodon's tags are no longer). */
export const MAX_HASHTAG_LENGTH = 100;

/** A hashtag's name as stored: NFKC, without a leading `#` (or `＃`), lower-cased. */
export function normalizeHashtag(name: string): string {
  return name.trim().normalize("NFKC").replace(/^#/, "").toLowerCase();
}

/**
 * The stored name of the hashtag a user typed (`#Tag`, `tag`); undefined when the text cannot
 * be one (a space, punctuation, too long), which then finds nothing.
 */
export function hashtagOf(text: string): string | undefined {
  const name = normalizeHashtag(text);
  return name.length <= MAX_HASHTAG_LENGTH && HASHTAG_NAME.test(name) ? name : undefined;
}
