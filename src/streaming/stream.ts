/**
 * Telling the owner's sockets what changed, for the code that stores things: called once its
 * batch is committed, never before. The events' reads and the call to the `Streaming` object
 * run after the answer (`streamAfter`, in the invocation's `waitUntil`), or inline where no
 * one waits (`streamNow`, the queue). Streaming is a courtesy to connected apps: a failure is
 * logged and counted, never thrown into the work that caused it.
 */
import type { AppContext } from "../context";
import { recorder } from "../metrics/recorder";
import type { StreamChange } from "./changes";
import { streamEvents } from "./events";
import { sendToStreams } from "./send";

export type { StreamChange } from "./changes";

/** The invocation's `waitUntil`: work that goes on after the answer. */
export interface Background {
  readonly waitUntil: (work: Promise<unknown>) => void;
}

/** What streaming reads and calls. */
export type StreamingContext = Pick<AppContext, "db" | "config" | "now" | "streaming">;

/** Streams `changes` after the answer: nothing is read or awaited before it goes. */
export function streamAfter(
  ctx: StreamingContext & Background,
  changes: readonly StreamChange[],
): void {
  if (changes.length === 0) return;
  ctx.waitUntil(streamNow(ctx, changes));
}

/** Streams `changes`, awaited to the end (the object's answer too); never rejects. */
export async function streamNow(
  ctx: StreamingContext,
  changes: readonly StreamChange[],
): Promise<void> {
  if (changes.length === 0) return;
  try {
    const events = await streamEvents(ctx, changes);
    const sent: Promise<unknown>[] = [];
    sendToStreams({ streaming: ctx.streaming, waitUntil: (p) => sent.push(p) }, events);
    await Promise.all(sent);
  } catch (error) {
    recorder().inc("outpost_streaming_event_errors_total");
    console.warn(`streaming: no events: ${error instanceof Error ? error.message : "error"}`);
  }
}
