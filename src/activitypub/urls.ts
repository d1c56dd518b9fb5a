/**
 * Every IRI the instance emits is built here from one configured origin, so that ids are
 * identical byte for byte wherever they appear (remote servers compare them as strings).
 */

export interface ActorUrls {
  readonly id: string;
  readonly keyId: string;
  readonly inbox: string;
  readonly outbox: string;
  readonly followers: string;
  readonly following: string;
  readonly featured: string;
  /** The HTML profile page. */
  readonly profile: string;
}

export interface LocalUrls {
  readonly origin: string;
  readonly owner: ActorUrls;
  /** The instance (Application) actor, which signs GETs and receives relay traffic. */
  readonly instance: Pick<ActorUrls, "id" | "keyId" | "inbox" | "outbox" | "profile"> & {
    readonly username: string;
  };
  readonly sharedInbox: string;
  readonly nodeinfo20: string;
  readonly nodeinfo21: string;
  readonly webfinger: string;
  /** A note of the owner: `/users/<owner>/statuses/<id>`. */
  note(id: string): string;
  /** The HTML page of a note. */
  notePage(id: string): string;
  /** The `Create` that published a note. */
  noteActivity(id: string): string;
  /** Any other activity of ours. */
  activity(id: string): string;
  /** A file in the media bucket. */
  media(key: string): string;
}

export function localUrls(origin: string, username: string, hostname: string): LocalUrls {
  const ownerId = `${origin}/users/${username}`;
  const instanceId = `${origin}/actor`;
  return {
    origin,
    owner: {
      id: ownerId,
      keyId: `${ownerId}#main-key`,
      inbox: `${ownerId}/inbox`,
      outbox: `${ownerId}/outbox`,
      followers: `${ownerId}/followers`,
      following: `${ownerId}/following`,
      featured: `${ownerId}/featured`,
      profile: `${origin}/@${username}`,
    },
    instance: {
      id: instanceId,
      username: hostname,
      keyId: `${instanceId}#main-key`,
      inbox: `${origin}/inbox`,
      outbox: `${instanceId}/outbox`,
      profile: `${origin}/`,
    },
    sharedInbox: `${origin}/inbox`,
    nodeinfo20: `${origin}/nodeinfo/2.0`,
    nodeinfo21: `${origin}/nodeinfo/2.1`,
    webfinger: `${origin}/.well-known/webfinger`,
    note: (id) => `${ownerId}/statuses/${id}`,
    notePage: (id) => `${origin}/@${username}/${id}`,
    noteActivity: (id) => `${ownerId}/statuses/${id}/activity`,
    activity: (id) => `${origin}/activities/${id}`,
    media: (key) => `${origin}/media/${key.split("/").map(encodeURIComponent).join("/")}`,
  };
}

/**
 * A new local object id: milliseconds since the epoch shifted left 16 bits plus 16 random
 * bits, in decimal, like Mastodon's. Sorts by creation time and does not reveal a count.
 */
export function newObjectId(at: Date): string {
  const random = crypto.getRandomValues(new Uint16Array(1))[0] ?? 0;
  return ((BigInt(at.getTime()) << 16n) | BigInt(random)).toString();
}
