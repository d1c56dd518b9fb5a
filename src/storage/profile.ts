/** What the profile page and the owner's account show, read in one round trip. */
import type { OwnerProfile } from "../env";
import type { Db } from "./db";
import { countFollowsQuery } from "./follows";
import { countNotesQuery, recentPublicNotes } from "./notes";
import { effectiveProfile, type Profile, profileQuery } from "./owner-profile";
import type { NoteRow } from "./schema";

export interface ProfileSummary {
  readonly posts: number;
  readonly followers: number;
  readonly following: number;
  readonly recent: readonly NoteRow[];
  /** The profile in effect (`storage/owner-profile.ts`). */
  readonly profile: Profile;
}

export interface ProfileSummaryQuery {
  /** The owner's actor id. */
  readonly actor: string;
  /** What the profile is while the owner never changed it (the vars). */
  readonly defaults: OwnerProfile;
  /** Recent public notes to read; 0 for none. */
  readonly limit: number;
}

export async function profileSummary(db: Db, query: ProfileSummaryQuery): Promise<ProfileSummary> {
  const { actor, limit } = query;
  const [posts, followers, following, recent, profile] = await db.batch([
    countNotesQuery(db, actor),
    countFollowsQuery(db, "followers", actor),
    countFollowsQuery(db, "following", actor),
    recentPublicNotes(db, actor, limit),
    profileQuery(db),
  ]);
  return {
    posts: posts[0]?.n ?? 0,
    followers: followers[0]?.n ?? 0,
    following: following[0]?.n ?? 0,
    recent,
    profile: effectiveProfile(query.defaults, profile),
  };
}
