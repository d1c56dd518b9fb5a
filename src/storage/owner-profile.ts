/**
 * The owner's profile as data, and where they stopped reading. The profile is one row,
 * absent until the owner first changes it: until then the `OWNER_*` vars are the profile.
 * Markers are Mastodon's (`/api/v1/markers`), one per timeline, shared by all the apps.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { LocalActorState } from "../activitypub/actor";
import type { OwnerProfile } from "../env";
import type { Db, Statement } from "./db";
import { ensureLocalActor, localActorQuery } from "./local-actors";
import { type MarkerRow, markers, type OwnerField, type ProfileRow, profile } from "./schema";

/** The profile's one row. */
const PROFILE_ID = 1;

/** What the owner says about themselves and how they post by default: the row, less its keys. */
export type Profile = Omit<ProfileRow, "id" | "updatedAt">;

/**
 * The profile while the owner never changed it, from the vars. Posting privacy follows
 * Mastodon's default: followers-only for a locked account, public otherwise.
 */
export function profileDefaults(owner: OwnerProfile): Profile {
  return {
    displayName: owner.displayName,
    note: owner.summary,
    fields: owner.fields.map((f) => ({ name: f.name, value: f.value })),
    locked: owner.manuallyApprovesFollowers,
    bot: false,
    discoverable: owner.discoverable,
    indexable: owner.indexable,
    privacy: owner.manuallyApprovesFollowers ? "private" : "public",
    sensitive: false,
    language: null,
    avatarKey: null,
    headerKey: null,
  };
}

/** The stored profile (a query, to run alone or in a batch with what a route reads). */
export function profileQuery(db: Db) {
  return db.select().from(profile).where(eq(profile.id, PROFILE_ID));
}

/** The profile in effect: the row a query read, or the vars' defaults when there is none. */
export function effectiveProfile(owner: OwnerProfile, rows: readonly ProfileRow[]): Profile {
  const [row] = rows;
  if (row === undefined) return profileDefaults(owner);
  const { id: _id, updatedAt: _updatedAt, ...stored } = row;
  return stored;
}

/** The profile in effect, read alone. */
export async function readProfile(db: Db, owner: OwnerProfile): Promise<Profile> {
  return effectiveProfile(owner, await profileQuery(db));
}

/** The owner's actor as documents show it: its key and creation time, and its profile. */
export interface OwnerState {
  readonly state: LocalActorState;
  readonly profile: Profile;
}

/**
 * The owner's key and profile in one round trip; the key pair is made on first use (at
 * `now`), as `ensureLocalActor` does.
 */
export async function readOwner(
  db: Db,
  owner: { readonly defaults: OwnerProfile; readonly now: Date },
): Promise<OwnerState> {
  const [[actor], rows] = await db.batch([localActorQuery(db, "owner"), profileQuery(db)]);
  const state = actor ?? (await ensureLocalActor(db, { role: "owner", now: owner.now }));
  return { state, profile: effectiveProfile(owner.defaults, rows) };
}

/** Writes the whole profile (the row is created by the first change). */
export function saveProfileStatement(db: Db, next: Profile, at: Date): Statement {
  const values = { ...next, updatedAt: at };
  return db
    .insert(profile)
    .values({ id: PROFILE_ID, ...values })
    .onConflictDoUpdate({ target: profile.id, set: values });
}

/**
 * The fields as stored; undefined while the owner never changed the profile (the vars' fields
 * are not checked: checking them would have to store the row, which the vars then no longer
 * make).
 */
export async function findStoredFields(db: Db): Promise<OwnerField[] | undefined> {
  const [row] = await db
    .select({ fields: profile.fields })
    .from(profile)
    .where(eq(profile.id, PROFILE_ID));
  return row?.fields;
}

/**
 * Writes the fields with their links' checks, unless the fields changed since they were read
 * (`seen`): a change the owner made meanwhile wins, and asks for its own checks. Neither the
 * row's `updatedAt` nor anything others see changes. Whether it wrote.
 */
export async function saveFieldChecks(
  db: Db,
  change: { readonly seen: readonly OwnerField[]; readonly next: readonly OwnerField[] },
): Promise<boolean> {
  const written = await db
    .update(profile)
    .set({ fields: [...change.next] })
    .where(and(eq(profile.id, PROFILE_ID), eq(profile.fields, [...change.seen])))
    .returning({ id: profile.id });
  return written.length > 0;
}

export type MarkerTimeline = MarkerRow["timeline"];

/** The markers of these timelines (those never set are missing). */
export function findMarkers(db: Db, timelines: readonly MarkerTimeline[]): Promise<MarkerRow[]> {
  if (timelines.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(markers)
    .where(inArray(markers.timeline, [...timelines]));
}

export interface MarkerUpdate {
  readonly timeline: MarkerTimeline;
  readonly lastReadId: string;
}

/**
 * Sets markers, answering them as stored, in one batch. As in Mastodon, `version` starts at 1
 * and grows by one each time `last_read_id` changes; setting the same id again changes
 * nothing, not even `updated_at`. The version is counted by SQLite in the write itself, so
 * two apps saving at once cannot both build on the same version (what Mastodon's optimistic
 * lock, answering 409, guards against).
 */
export async function saveMarkers(
  db: Db,
  updates: readonly MarkerUpdate[],
  at: Date,
): Promise<MarkerRow[]> {
  // In an UPDATE, SQLite reads every column as it was before the row changed.
  const same = sql`${markers.lastReadId} = excluded.last_read_id`;
  const writes = updates.map((u) =>
    db
      .insert(markers)
      .values({ timeline: u.timeline, lastReadId: u.lastReadId, version: 1, updatedAt: at })
      .onConflictDoUpdate({
        target: markers.timeline,
        set: {
          lastReadId: sql`excluded.last_read_id`,
          version: sql`case when ${same} then ${markers.version} else ${markers.version} + 1 end`,
          updatedAt: sql`case when ${same} then ${markers.updatedAt} else excluded.updated_at end`,
        },
      })
      .returning(),
  );
  const [first, ...rest] = writes;
  if (first === undefined) return [];
  return (await db.batch([first, ...rest])).flat();
}
