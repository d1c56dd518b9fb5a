/**
 * Telling the owner's sockets what changed, for the code that stores things: called once its
 * batch is committed, never before. The call to the `Streaming` object, which makes the events
 * its sockets listen to, runs after the answer (`streamAfter`, in the invocation's
 * `waitUntil`), or inline where no one waits (`streamNow`, the queue). Streaming is a courtesy to connected apps: a failure is
 * logged and counted, never thrown into the work that caused it.
 */
import type { AppContext } from "../context";
import { recorder } from "../metrics/recorder";
import type { StreamChange } from "./changes";
import { streamingObject } from "./send";

export type { StreamChange } from "./changes";

/** The invocation's `waitUntil`: work that goes on after the answer. */
export interface Background {
  readonly waitUntil: (work: Promise<unknown>) => void;
}

/** What streaming calls: the object, which reads what the events need itself. */
export type StreamingContext = Pick<AppContext, "streaming">;

/**
 * A timer tick: with `streamAfter` called at the end of the work (the inbox's, an action's),
 * the object is called once the answer is on its way, or nearly (a route may still read).
 * On one thread (a local workerd runs the Worker, the object and the simulated D1 together)
 * the object's work would otherwise run first, and the answer wait for it (bench:inbox
 * --sockets).
 */
const afterTheAnswer = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Streams `changes` after the answer: nothing is read or awaited before it goes. Call it at
 * the end of the work, once nothing is left to await there.
 */
export function streamAfter(
  ctx: StreamingContext & Background,
  changes: readonly StreamChange[],
): void {
  if (changes.length === 0) return;
  // Counted now, with the request's own metrics (a failure, rare, is counted after).
  recorder().inc("outpost_do_calls_total", { method: "changed" });
  ctx.waitUntil(afterTheAnswer().then(() => tell(ctx, changes)));
}

/**
 * Tells the `Streaming` object what changed, awaited to the end (its answer too); never
 * rejects. The object makes the events its sockets listen to (`Streaming.changed`): with no
 * socket open, nothing is read.
 */
export async function streamNow(
  ctx: StreamingContext,
  changes: readonly StreamChange[],
): Promise<void> {
  if (changes.length === 0) return;
  recorder().inc("outpost_do_calls_total", { method: "changed" });
  await tell(ctx, changes);
}

/** The call itself; a failure is logged and counted, never thrown. */
async function tell(ctx: StreamingContext, changes: readonly StreamChange[]): Promise<void> {
  try {
    await streamingObject(ctx.streaming).changed(changes);
  } catch (error) {
    recorder().inc("outpost_streaming_send_errors_total");
    console.warn(`streaming: not told: ${error instanceof Error ? error.message : "error"}`);
  }
}
