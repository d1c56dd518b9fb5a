/**
 * The owner's own view of their account (Mastodon's CredentialAccount), their preferences
 * and their reading markers, shaped as Mastodon 4.3 answers them. Pure.
 */
import type { Profile } from "../storage/owner-profile";
import type { MarkerRow } from "../storage/schema";
import type { MastodonAccount } from "./serialize";

/**
 * The account with `source`: what the owner wrote (the note as plain text, the fields as
 * typed) and their posting defaults. Mastodon adds `role` for staff; the owner has none.
 */
export function serializeCredentialAccount(
  account: MastodonAccount,
  profile: Profile,
  followRequests: number,
) {
  return {
    ...account,
    source: {
      privacy: profile.privacy,
      sensitive: profile.sensitive,
      language: profile.language,
      note: profile.note,
      fields: profile.fields.map((f) => ({
        name: f.name,
        value: f.value,
        verified_at: f.verifiedAt ?? null,
      })),
      follow_requests_count: followRequests,
      hide_collections: false,
      discoverable: profile.discoverable,
      indexable: profile.indexable,
    },
  };
}

/** `/api/v1/preferences`. Reading preferences are Mastodon's defaults: nothing is set here. */
export function serializePreferences(profile: Profile) {
  return {
    "posting:default:visibility": profile.privacy,
    "posting:default:sensitive": profile.sensitive,
    "posting:default:language": profile.language,
    "reading:expand:media": "default",
    "reading:expand:spoilers": false,
  };
}

/** Markers by timeline, as Mastodon answers both reading and saving them. */
export function serializeMarkers(rows: readonly MarkerRow[]) {
  return Object.fromEntries(
    rows.map((row) => [
      row.timeline,
      {
        last_read_id: row.lastReadId,
        version: row.version,
        updated_at: row.updatedAt.toISOString(),
      },
    ]),
  );
}
