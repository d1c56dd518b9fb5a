/**
 * Mastodon client API entities (Account, Status) from our rows, so that a later OAuth layer
 * and real apps fit on top (the Relationship is `accounts.ts`'s). Ids are Mastodon-shaped
 * (`ids.ts`): time-ordered decimal strings of 64-bit numbers, computed from each row as
 * storage computes them in SQL.
 * Pure: what they need is read beforehand (`storage/statuses.ts`).
 */
import { profileImages } from "../activitypub/actor";
import { fieldValueToHtml, textToHtml } from "../activitypub/text";
import type { Config } from "../env";
import type { AccountRow } from "../storage/account-rows";
import type { NoteWithTags } from "../storage/notes";
import type { Profile } from "../storage/owner-profile";
import type { ReactionRow } from "../storage/schema";
import type { StatusData } from "../storage/statuses";
import { accountId, attachmentId, boostId, noteId, ownerAccountId } from "./ids";
import { noteAttachmentView, serializeAttachment } from "./media";

const iso = (d: Date | null | undefined) => (d == null ? null : d.toISOString());

export interface OwnerCounts {
  readonly posts: number;
  readonly followers: number;
  readonly following: number;
}

/** What the owner's account shows beyond the configuration: its counts and its profile. */
export interface OwnerData extends OwnerCounts {
  readonly profile: Profile;
}

export function serializeOwner(config: Config, createdAt: Date, data: OwnerData) {
  const { profile } = data;
  const { owner, urls } = config;
  const images = profileImages(config, profile);
  const avatar = images.avatar ?? `${config.origin}/avatars/missing.png`;
  const header = images.header ?? `${config.origin}/headers/missing.png`;
  return {
    id: ownerAccountId(createdAt),
    username: owner.username,
    acct: owner.username,
    display_name: profile.displayName,
    locked: profile.locked,
    bot: profile.bot,
    discoverable: profile.discoverable,
    indexable: profile.indexable,
    group: false,
    created_at: createdAt.toISOString(),
    note: textToHtml(profile.note),
    url: urls.owner.profile,
    uri: urls.owner.id,
    avatar,
    avatar_static: avatar,
    header,
    header_static: header,
    followers_count: data.followers,
    following_count: data.following,
    statuses_count: data.posts,
    // The day of the latest post (Mastodon gives a date); the owner's is not read yet.
    last_status_at: null as string | null,
    emojis: [],
    // `verified_at`: when the page last linked back (`federation/profile-links.ts`).
    fields: profile.fields.map((f) => ({
      name: f.name,
      value: fieldValueToHtml(f.value),
      verified_at: f.verifiedAt ?? null,
    })),
  };
}

export type MastodonAccount = ReturnType<typeof serializeOwner>;

/** A remote account, from what storage reads of its actor (a whole row will do). */
export function serializeActor(config: Config, row: AccountRow): MastodonAccount {
  const missing = `${config.origin}/avatars/missing.png`;
  const username = row.preferredUsername ?? row.id.split("/").pop() ?? "";
  return {
    id: accountId(row),
    username,
    acct: `${username}@${row.domain}`,
    display_name: row.name ?? "",
    locked: row.manuallyApprovesFollowers,
    bot: row.type === "Service" || row.type === "Application",
    discoverable: false,
    indexable: false,
    group: row.type === "Group",
    created_at: iso(row.published) ?? row.fetchedAt.toISOString(),
    note: row.summary ?? "",
    url: row.url ?? row.id,
    uri: row.id,
    avatar: row.iconUrl ?? missing,
    avatar_static: row.iconUrl ?? missing,
    header: row.imageUrl ?? `${config.origin}/headers/missing.png`,
    header_static: row.imageUrl ?? `${config.origin}/headers/missing.png`,
    followers_count: 0,
    following_count: 0,
    statuses_count: 0,
    last_status_at: null,
    emojis: [],
    fields: [],
  };
}

/** What serialising statuses needs: the instance, the owner's account, and the notes' data. */
export interface StatusView {
  readonly config: Config;
  readonly owner: MastodonAccount;
  readonly data: StatusData;
}

export function serializeStatus(view: StatusView, item: NoteWithTags) {
  const { note, tags } = item;
  const { config, data } = view;
  const ownerId = config.urls.owner.id;
  const accountOf = (id: string): MastodonAccount | undefined => {
    if (id === ownerId) return view.owner;
    const row = data.accounts.get(id);
    return row === undefined ? undefined : serializeActor(config, row);
  };
  const author = accountOf(note.attributedTo) ?? view.owner;
  const parent = note.inReplyTo === null ? undefined : data.parents.get(note.inReplyTo);
  const reacted = data.reacted.get(note.id);
  const mentions = tags
    .filter((t) => t.type === "Mention")
    .map((t) => {
      const account = t.href === null ? undefined : accountOf(t.href);
      const acct = account?.acct ?? handleOfMention(t.name);
      return {
        id: account?.id ?? "",
        username: acct.split("@")[0] ?? acct,
        url: account?.url ?? t.href ?? "",
        acct,
      };
    });
  return {
    id: noteId(note),
    uri: note.id,
    url: note.url ?? note.id,
    created_at: note.published.toISOString(),
    edited_at: iso(note.updated),
    account: author,
    content: note.content,
    visibility: note.visibility,
    sensitive: note.sensitive,
    spoiler_text: note.summary ?? "",
    // The owner's uploads answer with their media ids; a remote file with its URL as
    // `remote_url` and an id of its own (`attachmentId`).
    media_attachments: (note.attachments ?? []).map((a, i) =>
      serializeAttachment(
        noteAttachmentView(a, { id: attachmentId(note, i), local: note.attributedTo === ownerId }),
      ),
    ),
    application: null,
    mentions,
    tags: tags
      .filter((t) => t.type === "Hashtag")
      .map((t) => ({
        name: t.name,
        url: t.href ?? `${config.origin}/tags/${encodeURIComponent(t.name)}`,
      })),
    emojis: [],
    reblogs_count: note.sharesCount,
    favourites_count: note.likesCount,
    replies_count: data.replies.get(note.id) ?? 0,
    in_reply_to_id: parent === undefined ? null : noteId(parent),
    in_reply_to_account_id:
      parent === undefined ? null : (accountOf(parent.attributedTo)?.id ?? null),
    reblog: null as MastodonStatus | null,
    poll: null,
    card: null,
    language: note.language,
    text: null,
    favourited: reacted?.liked ?? false,
    reblogged: reacted?.boosted ?? false,
    muted: false,
    bookmarked: data.bookmarked.has(note.id),
    pinned: note.pinnedAt !== null,
  };
}

export interface MastodonStatus extends ReturnType<typeof serializeStatus> {}

/**
 * A boost as Mastodon shows it: a status of its own (the boost's id, odd), by the booster,
 * empty but for the status boosted in `reblog`.
 */
export function serializeBoost(
  boost: ReactionRow,
  account: MastodonAccount,
  original: MastodonStatus,
): MastodonStatus {
  return {
    ...original,
    id: boostId(boost),
    uri: boost.id,
    url: boost.id,
    created_at: boost.createdAt.toISOString(),
    edited_at: null,
    account,
    content: "",
    visibility: original.visibility === "unlisted" ? "unlisted" : "public",
    sensitive: false,
    spoiler_text: "",
    media_attachments: [],
    mentions: [],
    tags: [],
    replies_count: 0,
    in_reply_to_id: null,
    in_reply_to_account_id: null,
    reblog: original,
    language: null,
    pinned: false,
  };
}

/**
 * `user@host` of a mention whose account we do not know: its name, or, for a mention that
 * came without one (stored by its href), a guess from the URL's last segment and host.
 */
function handleOfMention(name: string): string {
  const url = URL.parse(name);
  if (url === null) return name;
  const last =
    url.pathname
      .split("/")
      .filter((s) => s !== "")
      .at(-1) ?? "";
  return `${last.replace(/^@/, "")}@${url.host}`;
}
