/**
 * Handing events to the `Streaming` object, for the code that makes them (inbox handlers,
 * publishing, the notification writer). Streaming is a courtesy to connected clients: it must
 * never slow down or fail the work that caused the event, so the call is fire-and-forget.
 */
import { recorder } from "../metrics/recorder";
import type { Streaming } from "./object";
import type { StreamEvent } from "./types";

/** What sending needs: the binding, and the invocation's `waitUntil` when there is one. */
export interface StreamingTarget {
  readonly streaming: DurableObjectNamespace<Streaming>;
  /** Keeps the invocation alive until the call ends; without it the call is left running. */
  readonly waitUntil?: (p: Promise<unknown>) => void;
}

/** The one object that holds the owner's sockets. */
export function streamingObject(
  namespace: DurableObjectNamespace<Streaming>,
): DurableObjectStub<Streaming> {
  return namespace.get(namespace.idFromName("owner"));
}

async function broadcast(
  namespace: DurableObjectNamespace<Streaming>,
  events: readonly StreamEvent[],
): Promise<void> {
  await streamingObject(namespace).broadcast(events);
}

/**
 * Sends `events` to the owner's sockets in one RPC, without waiting for it and without
 * throwing: a failure is logged and counted (`outpost_streaming_send_errors_total`; counted
 * only while the invocation's metrics are still open, so a late failure may be logged only).
 */
export function sendToStreams(ctx: StreamingTarget, events: readonly StreamEvent[]): void {
  if (events.length === 0) return;
  const counts = recorder();
  counts.inc("outpost_do_calls_total", { method: "broadcast" });
  const settled = broadcast(ctx.streaming, events).catch((error: unknown) => {
    counts.inc("outpost_streaming_send_errors_total");
    console.warn(`streaming: not sent: ${error instanceof Error ? error.message : "error"}`);
  });
  ctx.waitUntil?.(settled);
}

/**
 * Closes the sockets a revoked token opened, without waiting and without throwing. A failure
 * is logged: those sockets stay open (still receiving) until they reconnect, when the token
 * is refused.
 */
export function closeTokenSockets(
  ctx: Pick<StreamingTarget, "streaming">,
  token: { readonly seq: number; readonly waitUntil?: (p: Promise<unknown>) => void },
): void {
  const closing = streamingObject(ctx.streaming)
    .closeToken(token.seq)
    .catch((error: unknown) => {
      console.warn(
        `streaming: revoked token's sockets not closed: ${error instanceof Error ? error.message : "error"}`,
      );
    });
  token.waitUntil?.(closing);
}
