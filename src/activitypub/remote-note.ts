/** Reading remote notes (and the object types stored like them) into what we keep. */
import type { NoteAttachment, NoteTagRow, Visibility } from "../storage/schema";
import { isPublicShortForm, PUBLIC_COLLECTION } from "./context";
import { normalizeHashtag } from "./hashtags";
import {
  asArray,
  asDate,
  asString,
  asUrl,
  capped,
  firstLink,
  idOf,
  idsOf,
  isObject,
  type JsonObject,
  localized,
  NOTE_TYPES,
  typeOf,
} from "./parse";
import { MAX_ATTACHMENTS, parseAttachments, videoAttachment } from "./remote-attachment";
import { escapeHtml } from "./text";

export type ParsedTag = Pick<NoteTagRow, "type" | "name" | "href">;

export interface ParsedNote {
  readonly id: string;
  readonly type: string;
  readonly attributedTo: string;
  readonly inReplyTo: string | undefined;
  /** Not yet sanitised. */
  readonly content: string;
  readonly summary: string | undefined;
  readonly sensitive: boolean;
  readonly language: string | undefined;
  readonly url: string | undefined;
  readonly published: Date | undefined;
  readonly updated: Date | undefined;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly tags: readonly ParsedTag[];
  readonly attachments: readonly NoteAttachment[];
}

/**
 * The most entries read of a note's lists; the rest is ignored (and counted). Misskey
 * allows 16 attachments, Mastodon 4; a post with a hundred mentions and emoji is rare; an
 * address list beyond a hundred is a mass mailing, and each address is a row written.
 */
export const NOTE_LIST_LIMITS = {
  to: 128,
  cc: 128,
  tag: 100,
  attachment: MAX_ATTACHMENTS,
} as const;

export interface ParseNoteOptions {
  /** The owner's id: an address or mention of the owner is read wherever it stands. */
  readonly owner?: string;
}

/**
 * Who a note is addressed to; `Public`, `as:Public` and the full IRI all mean the public.
 * The public, the owner and followers collections decide who sees it: read beyond the cap.
 */
function parseAudience(value: unknown, list: "to" | "cc", owner: string | undefined): string[] {
  // The public and the owner first: a list of followers collections cannot push them out.
  const matters = (item: unknown) => {
    const id = idOf(item);
    if (isPublicShortForm(item) || id === PUBLIC_COLLECTION || id === owner) return 2;
    return id !== undefined && new URL(id).pathname.includes("/followers") ? 1 : 0;
  };
  const entries = capped(value, { max: NOTE_LIST_LIMITS[list], list, matters });
  const shortForms = entries.filter(isPublicShortForm);
  return [...idsOf(entries), ...shortForms.map(() => PUBLIC_COLLECTION)];
}

function parseTags(value: unknown, owner: string | undefined): ParsedTag[] {
  const tags: ParsedTag[] = [];
  const mentionsOwner = (tag: unknown) =>
    owner !== undefined && isObject(tag) && typeOf(tag) === "Mention" && asUrl(tag.href) === owner
      ? 1
      : 0;
  const entries = capped(value, { max: NOTE_LIST_LIMITS.tag, list: "tag", matters: mentionsOwner });
  for (const tag of entries) {
    if (!isObject(tag)) continue;
    const type = typeOf(tag);
    const name = asString(tag.name)?.trim() || undefined;
    if (type === "Mention") {
      // The href says who is mentioned; the name is only a label, and Fedify leaves it out.
      const href = asUrl(tag.href);
      const label = name?.replace(/^@/, "") || href;
      if (label !== undefined) tags.push({ type, name: label, href: href ?? null });
    } else if (name !== undefined && type === "Hashtag") {
      const bare = normalizeHashtag(name);
      if (bare !== "") tags.push({ type, name: bare, href: asUrl(tag.href) ?? null });
    } else if (name !== undefined && type === "Emoji") {
      const icon = isObject(tag.icon) ? firstLink(tag.icon.url) : undefined;
      tags.push({ type, name, href: icon ?? null });
    }
  }
  // One row per (type, name), and one mention per account: servers repeat a mention when it
  // appears twice, with or without its name.
  const same = (t: ParsedTag, u: ParsedTag) =>
    t.type === u.type &&
    (t.name === u.name || (t.type === "Mention" && t.href !== null && t.href === u.href));
  return tags.filter((t, i) => tags.findIndex((u) => same(t, u)) === i);
}

/** The note in an object, or undefined when it is not one we store. */
export function parseNote(
  object: JsonObject,
  { owner }: ParseNoteOptions = {},
): ParsedNote | undefined {
  const id = asUrl(object.id);
  const type = typeOf(object);
  // attributedTo may list several actors (PeerTube: the channel and the account).
  const attributedTo = asArray(object.attributedTo)
    .map((a) => ({ id: idOf(a), type: typeOf(a) }))
    .find((a) => a.id !== undefined && a.type !== "Group")?.id;
  if (
    id === undefined ||
    type === undefined ||
    !NOTE_TYPES.has(type) ||
    attributedTo === undefined
  ) {
    return undefined;
  }
  const content = localized(object, "content");
  const name = asString(object.name);
  const attachments = parseAttachments(object.attachment);
  // A PeerTube video carries its file in `url`, not in `attachment`.
  const video = type === "Video" && attachments.length === 0 ? videoAttachment(object) : undefined;
  // Misskey's `_misskey_content` is MFM source; `content` is the HTML to show.
  let html = content.text ?? "";
  if (html === "" && name !== undefined) html = `<p>${escapeHtml(name)}</p>`;
  return {
    id,
    type,
    attributedTo,
    inReplyTo: idOf(object.inReplyTo),
    content: html,
    summary: localized(object, "summary").text || undefined,
    sensitive: object.sensitive === true,
    language: content.language,
    url: firstLink(object.url),
    published: asDate(object.published),
    updated: asDate(object.updated),
    to: parseAudience(object.to, "to", owner),
    cc: parseAudience(object.cc, "cc", owner),
    tags: parseTags(object.tag, owner),
    attachments: video === undefined ? attachments : [video],
  };
}

/** Visibility as Mastodon reads addressing: Public in `to`, in `cc`, followers, or neither. */
export function visibilityOf(
  note: Pick<ParsedNote, "to" | "cc">,
  authorFollowers: string | null | undefined,
): Visibility {
  if (note.to.includes(PUBLIC_COLLECTION)) return "public";
  if (note.cc.includes(PUBLIC_COLLECTION)) return "unlisted";
  const all = [...note.to, ...note.cc];
  if (authorFollowers != null && all.includes(authorFollowers)) return "private";
  if (all.some((r) => r.endsWith("/followers"))) return "private";
  return "direct";
}
