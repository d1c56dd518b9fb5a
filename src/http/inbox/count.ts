/** Counts each activity received, by type and by answer, once the chain has answered. */
import type { MiddlewareHandler } from "hono";
import { recorder } from "../../metrics/recorder";
import type { InboxEnv } from "./env";

/** Activity types counted by name; any other is "Other", so the label set stays bounded. */
const COUNTED_TYPES = new Set([
  "Follow",
  "Undo",
  "Accept",
  "Reject",
  "Create",
  "Update",
  "Delete",
  "Like",
  "Announce",
  "Block",
  "Move",
  "Add",
  "Remove",
  "Flag",
  "EmojiReact",
]);

/** What a 202 meant: applied, a repeat, or dropped by the owner's blocks. */
const accepted = (duplicate: boolean | undefined, dropped: string | undefined) =>
  dropped ?? (duplicate ? "duplicate" : "accepted");

export function countActivities(): MiddlewareHandler<InboxEnv> {
  return async function countActivities(c, next) {
    await next();
    const type = c.get("activity")?.type;
    const { status } = c.res;
    recorder().inc("activitypub_inbox_activities_total", {
      type: type !== undefined && COUNTED_TYPES.has(type) ? type : "Other",
      result: status !== 202 ? String(status) : accepted(c.get("duplicate"), c.get("dropped")),
    });
  };
}
