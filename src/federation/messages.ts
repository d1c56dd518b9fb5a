/**
 * Queue messages: versioned, plain-JSON tagged unions that carry ids, never keys, secrets
 * or remote payloads (those stay in D1; a message points at them).
 */

export const MESSAGE_VERSION = 1;

/**
 * Resolve the recipients of one of our stored activities and enqueue its deliveries, a page
 * of inboxes at a time (`after`: the last inbox of the previous page).
 */
export interface FanoutMessage {
  readonly v: 1;
  readonly type: "fanout";
  readonly activityId: string;
  readonly after?: string;
}

/** POST one of our stored activities (by id) to these inboxes, signed at send time. */
export interface DeliverMessage {
  readonly v: 1;
  readonly type: "deliver";
  readonly activityId: string;
  readonly inboxes: readonly string[];
  /** The delivery batch the fan-out recorded for this message (first sends only). */
  readonly batchId?: string;
  /** For inboxes sent again after failing: the attempt this is. */
  readonly attempt?: number;
  /** Sent by a host's alarm to learn whether the host is back. */
  readonly probe?: boolean;
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
  /**
   * For `create`: the verified sender of the `Create`, who must be the note's author (a
   * server may not create notes in another's name by giving only their URL).
   */
  readonly sender?: string;
}

export type QueueMessage = FanoutMessage | DeliverMessage | FetchObjectMessage;

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
    case "fanout":
      if (
        isUrlString(message.activityId) &&
        (message.after === undefined || typeof message.after === "string")
      ) {
        return { ok: true, message: body as FanoutMessage };
      }
      return { ok: false, reason: "malformed fanout message", type };
    case "deliver":
      if (
        isUrlString(message.activityId) &&
        Array.isArray(message.inboxes) &&
        message.inboxes.length > 0 &&
        message.inboxes.every(isUrlString) &&
        (message.batchId === undefined || typeof message.batchId === "string") &&
        (message.attempt === undefined || Number.isInteger(message.attempt)) &&
        (message.probe === undefined || typeof message.probe === "boolean")
      ) {
        return { ok: true, message: body as DeliverMessage };
      }
      return { ok: false, reason: "malformed deliver message", type };
    case "fetchObject":
      if (
        isUrlString(message.id) &&
        (message.purpose === "create" || message.purpose === "context") &&
        (message.inboxId === undefined || isUrlString(message.inboxId)) &&
        (message.sender === undefined || isUrlString(message.sender))
      ) {
        return { ok: true, message: body as FetchObjectMessage };
      }
      return { ok: false, reason: "malformed fetchObject message", type };
    default:
      return { ok: false, reason: "unknown message type", type };
  }
}
