/** What the profile page and the owner's account show, read in one round trip. */
import type { OwnerProfile } from "../env";
import { allOf, type Batched, batched } from "./batched";
import type { Db } from "./db";
import { countFollowsQuery } from "./follows";
import { countNotesQuery } from "./notes";
import { effectiveProfile, type Profile, profileQuery } from "./owner-profile";

export interface ProfileSummary {
  readonly posts: number;
  readonly followers: number;
  readonly following: number;
  /** The profile in effect (`storage/owner-profile.ts`). */
  readonly profile: Profile;
}

export interface ProfileSummaryQuery {
  /** The owner's actor id. */
  readonly actor: string;
  /** What the profile is while the owner never changed it (the vars). */
  readonly defaults: OwnerProfile;
}

/** The summary as a read to batch with others (`storage/batched.ts`). */
export function profileSummaryRead(db: Db, query: ProfileSummaryQuery): Batched<ProfileSummary> {
  const { actor } = query;
  return allOf(
    [
      batched(countNotesQuery(db, actor), firstCount),
      batched(countFollowsQuery(db, "followers", actor), firstCount),
      batched(countFollowsQuery(db, "following", actor), firstCount),
      batched(profileQuery(db), (rows) => effectiveProfile(query.defaults, rows)),
    ],
    ([posts, followers, following, profile]) => ({ posts, followers, following, profile }),
  );
}

const firstCount = (rows: readonly { readonly n: number }[]): number => rows[0]?.n ?? 0;
