/**
 * A remote account as its profile shows it, and the owner's Relationship with accounts:
 * Mastodon's entities, from what storage and the KV extras hold. Pure.
 */
import type { Config } from "../env";
import type { RelationshipFacts } from "../storage/relationships";
import type { ActorRow } from "../storage/schema";
import { type MastodonAccount, serializeActor } from "./serialize";

/** What D1 knows of a remote account's activity: its stored notes and follows of ours. */
export interface KnownCounts {
  readonly posts: number;
  readonly followers: number;
  readonly following: number;
  /** When its newest stored note was published. */
  readonly lastStatusAt?: Date;
}

/** What a refresh read from the account's server (`cache/account-extras.ts` keeps it). */
export interface RemoteExtras {
  readonly statuses: number | null;
  readonly followers: number | null;
  readonly following: number | null;
  readonly fields: readonly { readonly name: string; readonly value: string }[];
  readonly discoverable: boolean | null;
  readonly indexable: boolean | null;
}

/**
 * A remote account with its counts (its server's totals once a refresh read them, else what
 * we store), its fields and flags, and the day of its last post (Mastodon gives a date).
 */
export function serializeRemoteAccount(
  config: Config,
  row: ActorRow,
  known: { counts: KnownCounts; extras: RemoteExtras | undefined },
): MastodonAccount {
  const { counts, extras } = known;
  return {
    ...serializeActor(config, row),
    discoverable: extras?.discoverable ?? false,
    indexable: extras?.indexable ?? false,
    followers_count: extras?.followers ?? counts.followers,
    following_count: extras?.following ?? counts.following,
    statuses_count: Math.max(extras?.statuses ?? 0, counts.posts),
    last_status_at: counts.lastStatusAt?.toISOString().slice(0, 10) ?? null,
    fields: (extras?.fields ?? []).map((f) => ({
      name: f.name,
      value: f.value,
      verified_at: null,
    })),
  };
}

/**
 * The owner's Relationship with one account (its Mastodon id, its actor id and domain): the
 * one every route answers. As Mastodon's: `following` once the follow is accepted,
 * `requested` while it is pending, and the follow's settings (`showing_reblogs`, `notifying`,
 * `languages`) are the follow's or the request's, whichever there is, false with neither.
 */
export function serializeRelationshipOf(
  account: { readonly id: string; readonly actor: string; readonly domain?: string },
  facts: RelationshipFacts,
) {
  const following = facts.following.get(account.actor);
  const followedBy = facts.followedBy.get(account.actor);
  const mute = facts.muting.get(account.actor);
  return {
    id: account.id,
    following: following === "accepted",
    // Outpost keeps no per-follow settings: a follow or a request shows boosts (Mastodon's
    // default), notifies of no posts, in every language.
    showing_reblogs: following !== undefined,
    notifying: false,
    languages: null,
    followed_by: followedBy === "accepted",
    blocking: facts.blocking.has(account.actor),
    // A block of the owner ends the follows; whether one is in place is not kept.
    blocked_by: false,
    muting: mute !== undefined,
    muting_notifications: mute?.notifications ?? false,
    requested: following === "pending",
    requested_by: followedBy === "pending",
    domain_blocking: account.domain !== undefined && facts.blockedDomains.has(account.domain),
    endorsed: false,
    note: "",
  };
}

export type MastodonRelationship = ReturnType<typeof serializeRelationshipOf>;

const NO_FACTS: RelationshipFacts = {
  following: new Map(),
  followedBy: new Map(),
  blocking: new Set(),
  muting: new Map(),
  blockedDomains: new Set(),
};

/** The owner's relationship with themselves: every answer false, as on Mastodon. */
export const selfRelationship = (id: string): MastodonRelationship =>
  serializeRelationshipOf({ id, actor: "" }, NO_FACTS);
