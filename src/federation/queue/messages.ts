/**
 * Queue messages: versioned, plain-JSON tagged unions that carry ids, never keys, secrets
 * or remote payloads (those stay in D1; a message points at them). The schemas are the
 * types: what the consumer reads is validated against them and used as their output.
 */
import * as v from "valibot";

const Url = v.pipe(v.string(), v.url());
const Version = v.literal(1);

/**
 * Resolve the recipients of one of our stored activities and enqueue its deliveries, a page
 * of inboxes at a time (`after`: the last inbox of the previous page).
 */
const Fanout = v.object({
  v: Version,
  type: v.literal("fanout"),
  activityId: Url,
  after: v.optional(v.string()),
});

/** POST one of our stored activities (by id) to these inboxes, signed at send time. */
const Deliver = v.object({
  v: Version,
  type: v.literal("deliver"),
  activityId: Url,
  inboxes: v.pipe(v.array(Url), v.minLength(1)),
  /** The delivery batch the fan-out recorded for this message (first sends only). */
  batchId: v.optional(v.string()),
  // The previous release's `attempt` and `probe` are not read (retries are the host objects'
  // now); a message of that release that still has them is read without them.
});

/**
 * Fetch a remote object and store it: the note a `Create` only named by URL (`inboxId` set:
 * the received activity to mark processed), the note a stored reply answers (context), the
 * note a followed account boosted (`boost`: its boost is stored and waits for it), or a
 * remote account the owner looked at (`account`: `id` is the actor's; its document, its
 * recent posts and pins, its collections' totals).
 */
const FetchObject = v.object({
  v: Version,
  type: v.literal("fetchObject"),
  id: Url,
  purpose: v.picklist(["create", "context", "boost", "account"]),
  /** The id of the received activity waiting for this, if any. */
  inboxId: v.optional(Url),
  /**
   * For `create`: the verified sender of the `Create`, who must be the note's author (a
   * server may not create notes in another's name by giving only their URL).
   */
  sender: v.optional(Url),
  /**
   * For `context`: how many notes above this one to fetch after it, one message each, when
   * they are not stored (a thread the owner looked at, up to the context's bound).
   */
  above: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100))),
});

/**
 * Follow the next batch of accounts of one of the owner's imports (`importId`: its `seq`),
 * then queue the next batch a few seconds later (`federation/import-follows.ts`).
 */
const ImportFollows = v.object({
  v: Version,
  type: v.literal("importFollows"),
  importId: v.pipe(v.number(), v.integer(), v.minValue(1)),
});

/**
 * Check the owner's profile links for a `rel="me"` link back: those never checked, or not
 * for a day (`federation/profile-links.ts`). It names nothing: the fields are read when it
 * runs, so a message repeated, or sent twice, finds nothing left to do.
 */
const VerifyLinks = v.object({
  v: Version,
  type: v.literal("verifyLinks"),
});

const QueueMessageSchema = v.variant("type", [
  Fanout,
  Deliver,
  FetchObject,
  ImportFollows,
  VerifyLinks,
]);

export type FanoutMessage = v.InferOutput<typeof Fanout>;
export type DeliverMessage = v.InferOutput<typeof Deliver>;
export type FetchObjectMessage = v.InferOutput<typeof FetchObject>;
export type ImportFollowsMessage = v.InferOutput<typeof ImportFollows>;
export type QueueMessage = v.InferOutput<typeof QueueMessageSchema>;

export type ParseMessageResult =
  | { readonly ok: true; readonly message: QueueMessage }
  | { readonly ok: false; readonly reason: string; readonly type?: string };

/** Reads a message body; the reason (and the type, when it has one) when it is not one. */
export function parseQueueMessage(body: unknown): ParseMessageResult {
  const parsed = v.safeParse(QueueMessageSchema, body);
  if (parsed.success) return { ok: true, message: parsed.output };
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, reason: "not an object" };
  }
  const type = v.safeParse(v.object({ type: v.pipe(v.string(), v.maxLength(64)) }), body);
  const version = v.safeParse(v.object({ v: Version }), body);
  const reason = !version.success
    ? "unsupported version"
    : type.success &&
        ["fanout", "deliver", "fetchObject", "importFollows", "verifyLinks"].includes(
          type.output.type,
        )
      ? `malformed ${type.output.type} message`
      : "unknown message type";
  return { ok: false, reason, type: type.success ? type.output.type : undefined };
}
