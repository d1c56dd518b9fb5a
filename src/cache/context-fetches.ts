/**
 * The fetches a thread's context asked for lately (`federation/threads.ts`), so that looking
 * at a thread again does not queue, at every look, the fetch of a parent that cannot be had:
 * a 404, a document that is no note or not its author's, a dead server, a blocked one. Kept
 * in KV (`ACTOR_CACHE`), one entry per note id, expiring by itself: a fetch asked is not
 * asked again for `CONTEXT_ASKED_SECONDS` (one that works is stored within seconds, and the
 * next look finds the note; a server that fails for a while is retried by the queue
 * meanwhile), one that failed for `CONTEXT_FAILED_SECONDS`. KV rather than the Cache API: the
 * queue consumer that learns of a failure may run in another data centre than the owner's
 * requests. A write at most per missing note and hour, counted with the actor cache's
 * (`activitypub_kv_writes_total`).
 */
import { kvKey, readText, writeText } from "./kv";

/** How long a context fetch asked for is not asked again. */
export const CONTEXT_ASKED_SECONDS = 60 * 60;
/** How long a context fetch that failed (not for a while: for good) is not asked again. */
export const CONTEXT_FAILED_SECONDS = 24 * 60 * 60;

export type ContextFetch = "asked" | "failed";

/** Whether the fetch of a thread's note was asked for, or failed, lately. */
export async function fetchedLately(kv: KVNamespace, id: string): Promise<boolean> {
  try {
    return (await readText(kv, await kvKey("context", id))) !== null;
  } catch {
    // A failing KV read asks again: at worst one more message.
    return false;
  }
}

/** Remembers that the fetch of a thread's note was asked for, or failed. Never throws. */
export async function rememberFetch(
  kv: KVNamespace,
  id: string,
  outcome: ContextFetch,
): Promise<void> {
  const seconds = outcome === "asked" ? CONTEXT_ASKED_SECONDS : CONTEXT_FAILED_SECONDS;
  await writeText(kv, await kvKey("context", id), {
    text: outcome,
    expirationTtl: seconds,
    what: "context fetch",
  });
}
