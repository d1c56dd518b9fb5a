/**
 * What the code that stores things tells the streaming API once its batch is committed: what
 * changed, by id, never the entities themselves. Saying it costs one call to the `Streaming`
 * object after the answer; the object makes the events from it (`events.ts`) for the streams
 * its sockets listen to, so that no answer waits for the reads they take and a change no
 * socket can see is never read.
 */

export type StreamChange =
  /** A note stored: `update` where its timelines show it, and `conversation` when direct. */
  | { readonly kind: "note"; readonly id: string }
  /** A note edited: `status.update` where its timelines show it. */
  | { readonly kind: "edit"; readonly id: string }
  /** A note tombstoned at `at`: `delete` (its status id) on the streams that showed it. */
  | { readonly kind: "delete"; readonly id: string; readonly at: Date }
  /** A boost stored (the id of its `Announce`): `update` on `user` when the home shows it. */
  | { readonly kind: "boost"; readonly activity: string }
  /** A boosted note stored late: its latest boosts, as `boost` each. */
  | { readonly kind: "boosted"; readonly note: string }
  /** A boost undone (its status id): `delete` on `user`. */
  | { readonly kind: "unboost"; readonly statusId: string }
  /** Notifications by `account` written at `at` (one activity's): `notification` each. */
  | { readonly kind: "notifications"; readonly account: string; readonly at: Date }
  /** The owner's filters changed: `filters_changed` on `user`. */
  | { readonly kind: "filters" };
