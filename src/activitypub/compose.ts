/**
 * The owner's plain text, made into the HTML the fediverse shows: paragraphs, links,
 * `@user@host` mentions and `#hashtags`, marked up the way Mastodon marks them up.
 */
import { normalizeHashtag } from "./hashtags";
import { escapeHtml } from "./text";

export interface Handle {
  readonly username: string;
  /** Lower-cased, with the port when there is one. */
  readonly host: string;
}

export interface ResolvedMention extends Handle {
  /** The actor's id. */
  readonly id: string;
  /** The page to link to (the actor's `url`, else its id). */
  readonly url: string;
}

const TOKEN =
  /(?<url>https?:\/\/[^\s<>"]+)|(?<![\w@/])@(?<user>[a-z0-9_]+(?:[a-z0-9_.-]*[a-z0-9_])?)@(?<host>[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\d{1,5})?)|(?<![\w#&/])#(?<tag>[\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*)/giu;

/** Punctuation that ends a sentence, not a URL. */
const TRAILING = /[.,:;!?'")\]]+$/;

/** The `@user@host` handles the text mentions, each once. */
export function findHandles(text: string): Handle[] {
  const seen = new Map<string, Handle>();
  for (const match of text.matchAll(TOKEN)) {
    const { user, host } = match.groups ?? {};
    if (user === undefined || host === undefined) continue;
    const handle = { username: user, host: host.toLowerCase() };
    seen.set(`${user.toLowerCase()}@${handle.host}`, handle);
  }
  return [...seen.values()];
}

export interface Composed {
  readonly html: string;
  /** Lower-cased, without `#`, each once. */
  readonly hashtags: readonly string[];
  /** The resolved mentions the text uses. */
  readonly mentions: readonly ResolvedMention[];
}

/**
 * Marks up the text. Mentions that could not be resolved stay plain text: linking them
 * would promise a delivery that will not happen.
 */
export function composeHtml(
  text: string,
  options: { mentions: readonly ResolvedMention[]; tagUrl: (tag: string) => string },
): Composed {
  const byHandle = new Map(
    options.mentions.map((m) => [`${m.username.toLowerCase()}@${m.host}`, m]),
  );
  const hashtags = new Set<string>();
  const used = new Map<string, ResolvedMention>();

  const markup = (line: string): string => {
    let html = "";
    let last = 0;
    for (const match of line.matchAll(TOKEN)) {
      const start = match.index ?? 0;
      let token = match[0];
      const { url, user, host, tag } = match.groups ?? {};
      let replacement: string | undefined;
      if (url !== undefined) {
        token = url.replace(TRAILING, "");
        const shown = token.replace(/^https?:\/\//, "");
        replacement = `<a href="${escapeHtml(token)}" target="_blank" rel="nofollow noopener noreferrer">${escapeHtml(shown)}</a>`;
      } else if (user !== undefined && host !== undefined) {
        const mention = byHandle.get(`${user.toLowerCase()}@${host.toLowerCase()}`);
        if (mention !== undefined) {
          used.set(mention.id, mention);
          replacement = `<span class="h-card" translate="no"><a href="${escapeHtml(mention.url)}" class="u-url mention">@<span>${escapeHtml(mention.username)}</span></a></span>`;
        }
      } else if (tag !== undefined) {
        const name = normalizeHashtag(tag);
        hashtags.add(name);
        replacement = `<a href="${escapeHtml(options.tagUrl(name))}" class="mention hashtag" rel="tag">#<span>${escapeHtml(tag)}</span></a>`;
      }
      if (replacement === undefined) continue;
      html += escapeHtml(line.slice(last, start)) + replacement;
      last = start + token.length;
    }
    return html + escapeHtml(line.slice(last));
  };

  const html = text
    .replace(/\r\n?/g, "\n")
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((p) => `<p>${p.split("\n").map(markup).join("<br>")}</p>`)
    .join("");
  return { html, hashtags: [...hashtags], mentions: [...used.values()] };
}
