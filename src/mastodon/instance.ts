/**
 * The instance documents (`/api/v1/instance`, `/api/v2/instance`) in the shape Mastodon 4.3
 * emits them: the fields apps decode to sign in and to size their composer. What a client
 * needs of each is said in `test/instance.test.ts`.
 */
import { profileImages } from "../activitypub/actor";
import type { Config } from "../env";
import { MEDIA_LIMITS } from "../media/process";
import { MAX_DESCRIPTION_LENGTH } from "../media/types";
import type { InstanceCounts } from "../storage/instance";
import type { Profile } from "../storage/owner-profile";
import { SOFTWARE } from "../version";
import type { MastodonAccount } from "./serialize";

/** The Mastodon release whose client API Outpost follows. */
export const MASTODON_VERSION = "4.3.0";
/**
 * Mastodon 4.3's `api_versions.mastodon`: the number clients read to switch on what came with
 * it (Phanpy and Ice Cubes use grouped notifications, `/api/v2/notifications`, from 2 on).
 */
export const MASTODON_API_VERSION = 2;

/** Mastodon's limits, kept so that clients size what they offer as they would for Mastodon. */
export const MAX_FEATURED_TAGS = 10;
export const MAX_PINNED_STATUSES = 5;
export const MAX_MEDIA_ATTACHMENTS = 4;
/** Every URL in a status counts as this many characters. */
export const CHARACTERS_RESERVED_PER_URL = 23;

/** Mastodon 4.3's media limits, with the types it accepts for the formats Outpost takes. */
const MEDIA_ATTACHMENTS = {
  supported_mime_types: [
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/avif",
    "video/mp4",
    "video/webm",
    "audio/mpeg",
    "audio/mp3",
    "audio/ogg",
  ],
  image_size_limit: MEDIA_LIMITS.image,
  image_matrix_limit: MEDIA_LIMITS.imageMatrix,
  video_size_limit: MEDIA_LIMITS.video,
  video_frame_rate_limit: 120,
  video_matrix_limit: MEDIA_LIMITS.videoMatrix,
  description_limit: MAX_DESCRIPTION_LENGTH,
};

/** Mastodon's poll limits (durations in seconds: five minutes to a month). */
const POLLS = {
  max_options: 4,
  max_characters_per_option: 50,
  min_expiration: 300,
  max_expiration: 2_629_746,
};

export interface InstanceInput {
  readonly config: Config;
  /** The owner's account: the contact, and the instance's one user. */
  readonly owner: MastodonAccount;
  /** The owner's profile as stored (the bio as they wrote it, for the description). */
  readonly profile: Profile;
  /** Characters per status (`MAX_STATUS_LENGTH`). */
  readonly maxCharacters: number;
}

/**
 * `4.3.0 (compatible; Outpost 0.1.0)`: clients compare the leading Mastodon version (Ice Cubes
 * reads its first three characters as a number; Phanpy takes the leading semver), and people
 * see which software it is.
 */
export function compatibleVersion(): string {
  return `${MASTODON_VERSION} (compatible; Outpost ${SOFTWARE.version})`;
}

/** The streaming API's URL: `wss://` for an https origin, `ws://` for a development one. */
export function streamingUrl(origin: string): string {
  return origin.replace(/^http/, "ws");
}

/** The owner's display name (which defaults to the username), or else the host. */
function title(input: InstanceInput): string {
  return input.profile.displayName.trim() || input.config.host;
}

/** An image standing for the instance: the owner's header, else their avatar. */
function thumbnailUrl(input: InstanceInput): string {
  const { avatar, header } = profileImages(input.config, input.profile);
  return header ?? avatar ?? `${input.config.origin}/headers/missing.png`;
}

function statuses(input: InstanceInput) {
  return {
    max_characters: input.maxCharacters,
    max_media_attachments: MAX_MEDIA_ATTACHMENTS,
    characters_reserved_per_url: CHARACTERS_RESERVED_PER_URL,
  };
}

/** `GET /api/v2/instance`. */
export function serializeInstance(input: InstanceInput) {
  const { config, owner } = input;
  return {
    domain: config.host,
    title: title(input),
    version: compatibleVersion(),
    // Mastodon links its source here, as the AGPL asks; Outpost publishes no address yet.
    source_url: "",
    description: input.profile.note,
    usage: { users: { active_month: 1 } },
    thumbnail: { url: thumbnailUrl(input) },
    // Mastodon's app icons in several sizes; Outpost has none to offer.
    icon: [],
    languages: ["en"],
    configuration: {
      urls: { streaming: streamingUrl(config.origin), status: null },
      // Mastodon 4.3 gives its VAPID public key here, for web push subscriptions. Outpost has
      // no web push, and invents no key: an empty key, which the web clients that read it
      // (Elk, Phanpy) take as none, and which decodes wherever a client declares a string.
      vapid: { public_key: "" },
      accounts: {
        max_featured_tags: MAX_FEATURED_TAGS,
        max_pinned_statuses: MAX_PINNED_STATUSES,
      },
      statuses: statuses(input),
      media_attachments: MEDIA_ATTACHMENTS,
      polls: POLLS,
      translation: { enabled: false },
    },
    // A single-user instance: closed, as Mastodon's single-user mode reports it.
    registrations: { enabled: false, approval_required: false, message: null, url: null },
    api_versions: { mastodon: MASTODON_API_VERSION },
    contact: { email: "", account: owner },
    rules: [],
  };
}

/** `GET /api/v1/instance`: deprecated by Mastodon, still what older clients and megalodon read. */
export function serializeInstanceV1(input: InstanceInput, counts: InstanceCounts) {
  const { config, owner } = input;
  return {
    uri: config.host,
    title: title(input),
    short_description: input.profile.note,
    description: input.profile.note,
    email: "",
    version: compatibleVersion(),
    urls: { streaming_api: streamingUrl(config.origin) },
    stats: { user_count: 1, status_count: counts.statuses, domain_count: counts.domains },
    thumbnail: thumbnailUrl(input),
    languages: ["en"],
    registrations: false,
    approval_required: false,
    invites_enabled: false,
    configuration: {
      accounts: { max_featured_tags: MAX_FEATURED_TAGS },
      statuses: statuses(input),
      media_attachments: MEDIA_ATTACHMENTS,
      polls: POLLS,
    },
    contact_account: owner,
    rules: [],
  };
}
