/**
 * Queue messages: versioned, plain-JSON tagged unions that carry ids, never keys, secrets
 * or remote payloads (those stay in D1; a message points at them).
 */

export const MESSAGE_VERSION = 1;

/** POST one of our stored activities (by id) to these inboxes, signed at send time. */
export interface DeliverMessage {
  readonly v: 1;
  readonly type: "deliver";
  readonly activityId: string;
  readonly inboxes: readonly string[];
  /** For a message re-sent for the inboxes that failed: the attempt it continues. */
  readonly attempt?: number;
}

/**
 * Fetch a remote object and store it: the note a `Create` only named by URL (`inbox` set:
 * the received activity to mark processed), or the note a stored reply answers (context).
 */
export interface FetchObjectMessage {
  readonly v: 1;
  readonly type: "fetchObject";
  readonly id: string;
  readonly purpose: "create" | "context";
  /** The id of the received activity waiting for this, if any. */
  readonly inboxId?: string;
}

export type QueueMessage = DeliverMessage | FetchObjectMessage;

export type ParseMessageResult =
  | { readonly ok: true; readonly message: QueueMessage }
  | { readonly ok: false; readonly reason: string; readonly type?: string };

const isUrlString = (value: unknown): value is string =>
  typeof value === "string" && URL.canParse(value);

export function parseQueueMessage(body: unknown): ParseMessageResult {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, reason: "not an object" };
  }
  const message = body as Record<string, unknown>;
  const type = typeof message.type === "string" ? message.type.slice(0, 64) : undefined;
  if (message.v !== MESSAGE_VERSION) return { ok: false, reason: "unsupported version", type };
  switch (type) {
    case "deliver":
      if (
        isUrlString(message.activityId) &&
        Array.isArray(message.inboxes) &&
        message.inboxes.length > 0 &&
        message.inboxes.every(isUrlString)
      ) {
        return { ok: true, message: body as DeliverMessage };
      }
      return { ok: false, reason: "malformed deliver message", type };
    case "fetchObject":
      if (
        isUrlString(message.id) &&
        (message.purpose === "create" || message.purpose === "context") &&
        (message.inboxId === undefined || isUrlString(message.inboxId))
      ) {
        return { ok: true, message: body as FetchObjectMessage };
      }
      return { ok: false, reason: "malformed fetchObject message", type };
    default:
      return { ok: false, reason: "unknown message type", type };
  }
}
