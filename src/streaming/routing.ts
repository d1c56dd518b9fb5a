/**
 * Which streams show a status, as Mastodon's `FanOutOnWriteService` and `RemoveStatusService`
 * publish to them, from what storage found (`storage/streamed.ts`). Pure.
 */
import { hashtagOf } from "../activitypub/hashtags";
import type { Visibility } from "../storage/schema";
import type { StreamChange } from "./changes";
import type { StreamKey } from "./types";

/** The hashtags of a status streamed to their streams, at most (its first, as stored). */
export const MAX_HASHTAG_STREAMS = 10;

/** Where a notification goes: the user stream, and the one of notifications alone. */
export const NOTIFICATION_STREAMS: readonly StreamKey[] = ["user", "user:notification"];

/** A status, as far as routing goes: the timelines that show it and what it is. */
export interface StatusPlaces {
  /** The home timeline shows it. */
  readonly home: boolean;
  /** The lists (`seq`) whose timelines show it. */
  readonly lists: readonly number[];
  /** The public timeline shows it. */
  readonly public: boolean;
  /** Hashtags' timelines would show it. */
  readonly tagged: boolean;
  /** The owner wrote it. */
  readonly local: boolean;
  /** It has media attached. */
  readonly media: boolean;
  /** Its hashtags, as stored. */
  readonly hashtags: readonly string[];
}

/** The streams of the `home` filter context: `user` and the lists'. */
export function homeStreams(places: StatusPlaces): StreamKey[] {
  return [...(places.home ? ["user"] : []), ...places.lists.map((seq) => `list:${seq}`)];
}

/** The public timelines' streams, local or remote, with their media ones. */
function timelineStreams(local: boolean, media: boolean): StreamKey[] {
  const side = local ? "public:local" : "public:remote";
  return ["public", side, ...(media ? ["public:media", `${side}:media`] : [])];
}

/** A status's hashtag streams (`hashtag:<name>`, and `hashtag:local:<name>` for the owner's). */
function hashtagStreams(hashtags: readonly string[], local: boolean): StreamKey[] {
  const names = [...new Set(hashtags.flatMap((tag) => hashtagOf(tag) ?? []))];
  return names
    .slice(0, MAX_HASHTAG_STREAMS)
    .flatMap((name) => [`hashtag:${name}`, ...(local ? [`hashtag:local:${name}`] : [])]);
}

/** The streams of the `public` filter context: the public timelines' and the hashtags'. */
export function publicStreams(places: StatusPlaces): StreamKey[] {
  return [
    ...(places.public ? timelineStreams(places.local, places.media) : []),
    ...(places.tagged ? hashtagStreams(places.hashtags, places.local) : []),
  ];
}

/** A deleted status, as far as routing its `delete` goes. */
export interface DeletedPlaces {
  readonly visibility: Visibility;
  readonly local: boolean;
  readonly hashtags: readonly string[];
  /** The lists its author is on. */
  readonly lists: readonly number[];
}

/**
 * Where a status's `delete` goes: every stream it may have been on (a client drops an id it
 * does not show). Its files are gone with it, so the media streams are told of any public
 * status.
 */
export function deletedStreams(places: DeletedPlaces): StreamKey[] {
  const { visibility, local } = places;
  const isPublic = visibility === "public";
  return [
    "user",
    ...(visibility === "direct" ? ["direct"] : places.lists.map((seq) => `list:${seq}`)),
    ...(isPublic ? timelineStreams(local, true) : []),
    ...(isPublic ? hashtagStreams(places.hashtags, local) : []),
  ];
}

/** What the open sockets listen to: their streams, and whether one may get notifications. */
export interface Listening {
  readonly streams: ReadonlySet<StreamKey>;
  /** A socket allowed notifications subscribes to `user` or `user:notification`. */
  readonly notifications: boolean;
}

/**
 * Whether a change may make an event some open socket listens to: notifications go to `user`
 * and `user:notification`; boosts, unboosts and filter changes to `user` alone; a note (new,
 * edited, deleted) to any stream but `user:notification`. Only what passes is read and
 * serialised, so a change no one can see costs no read.
 */
export function mayReach(change: StreamChange, listening: Listening): boolean {
  const { streams } = listening;
  switch (change.kind) {
    case "notifications":
      return listening.notifications;
    case "boost":
    case "boosted":
    case "unboost":
    case "filters":
      return streams.has("user");
    case "note":
    case "edit":
    case "delete":
      return [...streams].some((key) => key !== "user:notification");
  }
}
