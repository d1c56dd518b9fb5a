/**
 * Mastodon's streaming protocol, without I/O: what a client's messages (and the query of its
 * upgrade request) ask for, the stream each request resolves to with the scopes it needs, and
 * the frames sent back. Errors are Mastodon's (`streaming/index.js`), word for word, since
 * clients show them.
 */
import { hashtagOf } from "../activitypub/hashtags";
import type { StreamEvent, StreamKey } from "./types";

/** The longest message a client may send; a subscription takes well under 300 characters. */
export const MAX_MESSAGE_CHARS = 4096;
/** The longest stream name, tag or list id taken from a client. */
const MAX_PARAM_CHARS = 200;

/** A stream as a client names it: `stream`, with `tag` for hashtags and `list` for lists. */
export interface StreamRequest {
  readonly stream: string;
  readonly tag?: string;
  readonly list?: string;
}

export type ClientMessage =
  | { readonly kind: "subscribe" | "unsubscribe"; readonly request: StreamRequest }
  | { readonly kind: "ignored"; readonly reason: "notJson" | "notAnObject" | "unknownType" };

/** What a token may stream: Mastodon's `read:statuses` and `read:notifications` (or `read`). */
export interface StreamGrants {
  readonly statuses: boolean;
  readonly notifications: boolean;
}

/** One subscription of a socket: the key events name, and the `stream` its frames carry. */
export interface Subscription {
  readonly key: StreamKey;
  /** `["user"]`, `["hashtag", "Tag"]` (the tag as the client spelt it), `["list", "12"]`. */
  readonly label: readonly string[];
}

export type Resolution =
  | {
      readonly ok: true;
      readonly subscription: Subscription;
      /** A list stream: the list's seq, which must exist before subscribing. */
      readonly listSeq?: number;
    }
  | { readonly ok: false; readonly error: string; readonly status: 400 | 401 };

/** Streams anyone signed in may read, whatever the token's scopes (Mastodon's public channels). */
const PUBLIC_STREAMS: ReadonlySet<string> = new Set([
  "public",
  "public:media",
  "public:local",
  "public:local:media",
  "public:remote",
  "public:remote:media",
  "hashtag",
  "hashtag:local",
]);

/** Streams that take no parameter, keyed by their own name. */
const PLAIN_STREAMS: ReadonlySet<string> = new Set([
  ...[...PUBLIC_STREAMS].filter((s) => !s.startsWith("hashtag")),
  "user",
  "user:notification",
  "direct",
]);

/** A parameter as a client sent it: a string (or a number for a list id), the first of a list. */
function param(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === "number" && Number.isSafeInteger(first)) return String(first);
  return typeof first === "string" && first.length <= MAX_PARAM_CHARS ? first : undefined;
}

/** The stream a record (a parsed message, or a query) names; the stream is empty when absent. */
export function streamRequestOf(record: Readonly<Record<string, unknown>>): StreamRequest {
  const tag = param(record.tag);
  const list = param(record.list);
  return {
    stream: param(record.stream) ?? "",
    ...(tag === undefined ? {} : { tag }),
    ...(list === undefined ? {} : { list }),
  };
}

/** A client's text message; anything but a subscribe or unsubscribe is ignored, as Mastodon does. */
export function parseClientMessage(text: string): ClientMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: "ignored", reason: "notJson" };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { kind: "ignored", reason: "notAnObject" };
  }
  const record = json as Record<string, unknown>;
  if (record.type !== "subscribe" && record.type !== "unsubscribe") {
    return { kind: "ignored", reason: "unknownType" };
  }
  return { kind: record.type, request: streamRequestOf(record) };
}

/** Whether `grants` reach `stream` (Mastodon's `checkScopes`: the stream name alone decides). */
function allowed(stream: string, grants: StreamGrants): boolean {
  if (PUBLIC_STREAMS.has(stream)) return true;
  return stream === "user:notification" ? grants.notifications : grants.statuses;
}

/**
 * The subscription a request resolves to. With `grants` (a subscribe), the token's scopes are
 * checked first, as Mastodon checks them; without (an unsubscribe), only the name.
 */
export function resolveStream(request: StreamRequest, grants?: StreamGrants): Resolution {
  const { stream } = request;
  if (grants !== undefined && !allowed(stream, grants)) {
    return { ok: false, error: "Access token does not have the required scopes", status: 401 };
  }
  if (PLAIN_STREAMS.has(stream))
    return { ok: true, subscription: { key: stream, label: [stream] } };
  if (stream === "hashtag" || stream === "hashtag:local") {
    if (request.tag === undefined || request.tag === "") {
      return { ok: false, error: "Missing tag name parameter", status: 400 };
    }
    const name = hashtagOf(request.tag);
    if (name === undefined) return { ok: false, error: "Invalid tag name parameter", status: 400 };
    return { ok: true, subscription: { key: `${stream}:${name}`, label: [stream, request.tag] } };
  }
  if (stream === "list") {
    if (request.list === undefined || request.list === "") {
      return { ok: false, error: "Missing list name parameter", status: 400 };
    }
    if (!/^\d{1,15}$/.test(request.list)) {
      return { ok: false, error: "Not authorized to stream this list", status: 401 };
    }
    const listSeq = Number(request.list);
    const subscription = { key: `list:${listSeq}`, label: ["list", request.list] };
    return { ok: true, subscription, listSeq };
  }
  return { ok: false, error: "Unknown stream type", status: 400 };
}

/** Whether two subscriptions are the same (the key, and the label the client knows it by). */
export function sameSubscription(a: Subscription, b: Subscription): boolean {
  return (
    a.key === b.key &&
    a.label.length === b.label.length &&
    a.label.every((s, i) => s === b.label[i])
  );
}

/**
 * What follows the `stream` in every frame of `event`, encoded once per event: the event's
 * name and its payload (a JSON string; `filters_changed` carries none on a WebSocket).
 */
export function encodeEventTail(event: StreamEvent): string {
  const name = JSON.stringify(event.event);
  if (event.event === "filters_changed") return `,"event":${name}}`;
  return `,"event":${name},"payload":${JSON.stringify(event.payload)}}`;
}

/** A frame as Mastodon sends it: `{"stream":[...],"event":"...","payload":"..."}`. */
export function encodeFrame(label: readonly string[], tail: string): string {
  return `{"stream":${JSON.stringify(label)}${tail}`;
}

/** An error frame, as Mastodon answers a subscription it refuses. */
export function errorFrame(error: string, status?: number): string {
  return JSON.stringify(status === undefined ? { error } : { error, status });
}
