/** Builders of our actor documents: the owner (Person) and the instance (Application). */
import type { Config } from "../env";
import type { Profile } from "../storage/owner-profile";
import { CONTEXT } from "./context";
import { fieldValueToHtml, textToHtml } from "./text";

/** What the database knows about a local actor; the private key is never part of it. */
export interface LocalActorState {
  readonly publicKeyPem: string;
  readonly createdAt: Date;
}

function image(url: string | undefined): Record<string, string> | undefined {
  if (url === undefined) return undefined;
  const mediaType = guessImageType(url);
  return mediaType === undefined ? { type: "Image", url } : { type: "Image", mediaType, url };
}

/** The owner's pictures as shown: their URLs, when there are any. */
export interface ProfileImages {
  readonly avatar: string | undefined;
  readonly header: string | undefined;
}

/**
 * Where the owner's avatar and header are: the file uploaded (served from `/media/`), else
 * the one the vars name, else none. The actor and the client API show the same.
 */
export function profileImages(
  config: Config,
  profile: Pick<Profile, "avatarKey" | "headerKey">,
): ProfileImages {
  const { owner, urls } = config;
  return {
    avatar: profile.avatarKey === null ? owner.avatarUrl : urls.media(profile.avatarKey),
    header: profile.headerKey === null ? owner.headerUrl : urls.media(profile.headerKey),
  };
}

/** The media type of an image, from its file extension; undefined when unknown. */
export function guessImageType(url: string): string | undefined {
  const ext = new URL(url).pathname.split(".").pop()?.toLowerCase();
  switch (ext) {
    case "png":
      return "image/png";
    case "jpg":
    case "jpeg":
      return "image/jpeg";
    case "gif":
      return "image/gif";
    case "webp":
      return "image/webp";
    case "avif":
      return "image/avif";
    default:
      return undefined;
  }
}

/**
 * The owner's actor, with every field Mastodon reads: the username and moves from the
 * configuration, what the owner says about themselves and their pictures from their profile
 * (`profileImages`). A bot is a
 * `Service`, as on Mastodon.
 */
export function toActor(config: Config, state: LocalActorState, profile: Profile) {
  const { owner, urls } = config;
  const u = urls.owner;
  const images = profileImages(config, profile);
  return {
    "@context": CONTEXT,
    id: u.id,
    type: profile.bot ? "Service" : "Person",
    following: u.following,
    followers: u.followers,
    inbox: u.inbox,
    outbox: u.outbox,
    featured: u.featured,
    preferredUsername: owner.username,
    name: profile.displayName,
    summary: textToHtml(profile.note),
    url: u.profile,
    manuallyApprovesFollowers: profile.locked,
    discoverable: profile.discoverable,
    indexable: profile.indexable,
    published: state.createdAt.toISOString(),
    publicKey: { id: u.keyId, owner: u.id, publicKeyPem: state.publicKeyPem },
    endpoints: { sharedInbox: urls.sharedInbox },
    icon: image(images.avatar),
    image: image(images.header),
    tag: [],
    attachment: profile.fields.map((f) => ({
      type: "PropertyValue",
      name: f.name,
      value: fieldValueToHtml(f.value),
    })),
    alsoKnownAs: owner.alsoKnownAs.length > 0 ? owner.alsoKnownAs : undefined,
    movedTo: owner.movedTo,
  };
}

/**
 * The instance actor, which signs our GETs to servers that require authorized fetch. Shaped
 * like Mastodon's: an Application named after the host, that approves followers by hand.
 */
export function toInstanceActor(config: Config, state: LocalActorState) {
  const u = config.urls.instance;
  return {
    "@context": CONTEXT,
    id: u.id,
    type: "Application",
    inbox: u.inbox,
    outbox: u.outbox,
    preferredUsername: u.username,
    name: config.host,
    url: u.profile,
    manuallyApprovesFollowers: true,
    discoverable: false,
    indexable: false,
    published: state.createdAt.toISOString(),
    publicKey: { id: u.keyId, owner: u.id, publicKeyPem: state.publicKeyPem },
    endpoints: { sharedInbox: config.urls.sharedInbox },
  };
}
