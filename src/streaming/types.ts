/**
 * What the streaming API carries (Mastodon's `/api/v1/streaming`), as the code that makes
 * events and the `Streaming` Durable Object that holds the sockets agree on it.
 */

/** Mastodon's stream event names. */
export type StreamEventName =
  | "update"
  | "notification"
  | "delete"
  | "status.update"
  | "filters_changed"
  | "conversation";

/**
 * A stream a socket subscribes to, as the object keys it: `user`, `user:notification`,
 * `public`, `public:local`, `public:media`, `public:local:media`, `direct`,
 * `hashtag:<lower-cased name>`, `hashtag:local:<lower-cased name>`, `list:<list id>`.
 */
export type StreamKey = string;

/** One event, for every socket subscribed to any of `streams`. */
export interface StreamEvent {
  readonly streams: readonly StreamKey[];
  readonly event: StreamEventName;
  /** The JSON-encoded entity (a status, a notification, a conversation), or a status id. */
  readonly payload: string;
}
