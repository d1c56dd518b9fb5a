/**
 * Queue messages: versioned, plain-JSON tagged unions that carry ids, never keys or secrets.
 * The delivery work adds its message types here.
 */

export const MESSAGE_VERSION = 1;

/** Every message type the consumer knows; empty until delivery lands. */
export type QueueMessage = never;

export type ParseMessageResult =
  | { readonly ok: true; readonly message: QueueMessage }
  | { readonly ok: false; readonly reason: string; readonly type?: string };

export function parseQueueMessage(body: unknown): ParseMessageResult {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, reason: "not an object" };
  }
  const { v, type } = body as { v?: unknown; type?: unknown };
  const typeName = typeof type === "string" ? type.slice(0, 64) : undefined;
  if (v !== MESSAGE_VERSION) return { ok: false, reason: `unsupported version`, type: typeName };
  return { ok: false, reason: "unknown message type", type: typeName };
}
