/**
 * What the owner's relationship with accounts is made of, for Mastodon's Relationship: the
 * follow edges both ways (with their state), the owner's blocks and mutes of them, and the
 * owner's blocks of their domains. One round trip however many kinds of fact.
 */
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "./db";
import { muteInForce } from "./safety";
import { blocks, domainBlocks, type FollowState, follows, mutes } from "./schema";

/**
 * The most accounts one read covers: every list below binds one parameter per account, plus
 * one, within D1's 100 (and Mastodon's largest page of accounts is 80).
 */
export const MAX_RELATIONSHIP_ACCOUNTS = 80;

export interface RelationshipFacts {
  /** The owner's follow of each account, accepted or pending, by actor id. */
  readonly following: ReadonlyMap<string, FollowState>;
  /** Each account's follow of the owner, accepted or pending. */
  readonly followedBy: ReadonlyMap<string, FollowState>;
  readonly blocking: ReadonlySet<string>;
  /** Muted accounts (mutes still running), and whether their notifications are hidden too. */
  readonly muting: ReadonlyMap<string, { readonly notifications: boolean }>;
  /** The blocked domains among the accounts' domains. */
  readonly blockedDomains: ReadonlySet<string>;
}

export interface RelationshipsRequest {
  readonly owner: string;
  /** At most `MAX_RELATIONSHIP_ACCOUNTS` remote accounts: their ids and domains. */
  readonly accounts: readonly { readonly id: string; readonly domain: string }[];
  /** Mutes that ended before this are over. */
  readonly now: Date;
}

/** Reads the facts about the accounts in one batch. */
export async function readRelationships(
  db: Db,
  request: RelationshipsRequest,
): Promise<RelationshipFacts> {
  const { owner, now } = request;
  const accounts = request.accounts.slice(0, MAX_RELATIONSHIP_ACCOUNTS);
  const ids = [...new Set(accounts.map((a) => a.id))];
  const domains = [...new Set(accounts.map((a) => a.domain))];
  if (ids.length === 0) {
    return {
      following: new Map(),
      followedBy: new Map(),
      blocking: new Set(),
      muting: new Map(),
      blockedDomains: new Set(),
    };
  }
  const [out, incoming, blocked, muted, domainsBlocked] = await db.batch([
    db
      .select({ actor: follows.actor, state: follows.state })
      .from(follows)
      .where(and(eq(follows.follower, owner), inArray(follows.actor, ids))),
    db
      .select({ follower: follows.follower, state: follows.state })
      .from(follows)
      .where(and(eq(follows.actor, owner), inArray(follows.follower, ids))),
    db.select({ actor: blocks.actor }).from(blocks).where(inArray(blocks.actor, ids)),
    db
      .select({ actor: mutes.actor, notifications: mutes.notifications })
      .from(mutes)
      .where(and(inArray(mutes.actor, ids), muteInForce(now))),
    db
      .select({ domain: domainBlocks.domain })
      .from(domainBlocks)
      .where(inArray(domainBlocks.domain, domains)),
  ]);
  return {
    following: new Map(out.map((r) => [r.actor, r.state])),
    followedBy: new Map(incoming.map((r) => [r.follower, r.state])),
    blocking: new Set(blocked.map((r) => r.actor)),
    muting: new Map(muted.map((r) => [r.actor, { notifications: r.notifications }])),
    blockedDomains: new Set(domainsBlocked.map((r) => r.domain)),
  };
}
