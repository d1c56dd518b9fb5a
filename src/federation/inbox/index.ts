/**
 * What each received activity does: one `onX` handler per type. A handler only reads; it
 * returns the statements to write (run in one batch with the received activity, so that an
 * activity is applied exactly once), the queue messages for slow work, and our activities
 * to deliver. The signature was verified, and the sender is the activity's actor, before
 * any handler runs (the inbox's middleware chain, `http/inbox/`).
 */
import type { AppContext } from "../../context";
import { onAccept, onBlock, onFollow, onReject } from "./follows";
import { onCreate, onDelete, onUpdate } from "./notes";
import { done, type Handler, type Inbound, type Outcome } from "./outcome";
import { onReaction } from "./reactions";
import { onUndo } from "./undo";

export type { Inbound, Outcome } from "./outcome";

const HANDLERS = new Map<string, Handler>([
  ["Follow", onFollow],
  ["Undo", onUndo],
  ["Accept", onAccept],
  ["Reject", onReject],
  ["Create", onCreate],
  ["Update", onUpdate],
  ["Delete", onDelete],
  ["Like", onReaction],
  ["Announce", onReaction],
  ["Block", onBlock],
]);

/** Runs the handler for the activity's type; other types are kept and otherwise ignored. */
export function handleActivity(ctx: AppContext, activity: Inbound): Promise<Outcome> {
  const handler = HANDLERS.get(activity.type);
  return handler === undefined ? Promise.resolve(done()) : handler(ctx, activity);
}
