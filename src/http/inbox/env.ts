/** What the inbox's middleware chain hands down, step by step (see `index.ts`). */
import type { Activity } from "../../activitypub/activity";
import type { AppEnv } from "../../env";

/** Why an activity was accepted and dropped unread (`blocks.ts`). */
export type InboxRefusal = "blocked_domain" | "blocked_actor";

export type InboxEnv = {
  Bindings: AppEnv["Bindings"];
  Variables: AppEnv["Variables"] & {
    /** The body as received, at most `MAX_ACTIVITY_BYTES` (set by `readActivity`). */
    body: Uint8Array;
    /** Its envelope, read (set by `readActivity`). */
    activity: Activity;
    /**
     * The sender, who is the activity's actor (set by `verifySignature`): proven by its
     * signature, or, for an actor's `Delete` of itself whose key is gone, by its own server
     * answering 404 or 410 for it.
     */
    signer: string;
    /** Set when the activity was received before and nothing changed. */
    duplicate: boolean;
    /** Set when the owner's blocks dropped the activity (`blocks.ts`): nothing was stored. */
    dropped: InboxRefusal;
  };
};
