/** What the inbox's middleware chain hands down, step by step (see `index.ts`). */
import type { Activity } from "../../activitypub/activity";
import type { AppEnv } from "../../env";

export type InboxEnv = {
  Bindings: AppEnv["Bindings"];
  Variables: AppEnv["Variables"] & {
    /** The body as received, at most `MAX_ACTIVITY_BYTES` (set by `readActivity`). */
    body: Uint8Array;
    /** Its envelope, read (set by `readActivity`). */
    activity: Activity;
    /** The verified sender, who is the activity's actor (set by `verifySignature`). */
    signer: string;
    /** Set when the activity was received before and nothing changed. */
    duplicate: boolean;
  };
};
