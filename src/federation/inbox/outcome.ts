/** What the inbox handlers take and give back. */
import type { Activity } from "../../activitypub/activity";
import type { ActorCacheChange } from "../../cache/actor-cache";
import type { PublicChange } from "../../cache/public-documents";
import type { AppContext } from "../../context";
import type { Statement } from "../../storage/db";
import type { StreamChange } from "../../streaming/changes";
import type { QueueMessage } from "../queue/messages";

/** A verified activity, as the handlers get it. */
export interface Inbound extends Activity {
  /** When it arrived: every row it makes is stamped with this. */
  readonly receivedAt: Date;
}

export interface Outcome {
  readonly statements: readonly Statement[];
  /** Follow-ups: queue messages to send once the activity is stored. */
  readonly messages: readonly QueueMessage[];
  /** Activities of ours the statements store, to deliver once they are stored. */
  readonly fanouts: readonly string[];
  /** Work remains for the queue; the activity is marked processed when it is done. */
  readonly pending: boolean;
  /** What the KV actor cache must learn once the statements are stored. */
  readonly actorCache?: ActorCacheChange;
  /** What of our public documents the statements change: their cached copies are purged. */
  readonly publicChanges?: readonly PublicChange[];
  /** What the owner's streams hear of once the statements are stored (after the answer). */
  readonly streams?: readonly StreamChange[];
}

/** An outcome with nothing left for the queue. */
export const done = (
  statements: readonly Statement[] = [],
  more: Pick<
    Partial<Outcome>,
    "messages" | "fanouts" | "actorCache" | "publicChanges" | "streams"
  > = {},
): Outcome => ({ messages: [], fanouts: [], ...more, statements, pending: false });

export type Handler = (ctx: AppContext, activity: Inbound) => Promise<Outcome>;
