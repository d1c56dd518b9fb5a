/** What the profile page shows, read in one round trip. */
import type { Db } from "./db";
import { countFollowsQuery } from "./follows";
import { countNotesQuery, recentPublicNotes } from "./notes";
import type { NoteRow } from "./schema";

export interface ProfileSummary {
  readonly posts: number;
  readonly followers: number;
  readonly following: number;
  readonly recent: readonly NoteRow[];
}

export async function profileSummary(
  db: Db,
  actor: string,
  limit: number,
): Promise<ProfileSummary> {
  const [posts, followers, following, recent] = await db.batch([
    countNotesQuery(db, actor),
    countFollowsQuery(db, "followers", actor),
    countFollowsQuery(db, "following", actor),
    recentPublicNotes(db, actor, limit),
  ]);
  return {
    posts: posts[0]?.n ?? 0,
    followers: followers[0]?.n ?? 0,
    following: following[0]?.n ?? 0,
    recent,
  };
}
