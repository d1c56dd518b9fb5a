/**
 * Reaching the `Streaming` object: the one object, and closing a revoked token's sockets.
 * Streaming is a courtesy to connected clients: it must never slow down or fail the work that
 * caused a call, so the calls are fire-and-forget.
 */
import type { Streaming } from "./object";

/** The one object that holds the owner's sockets. */
export function streamingObject(
  namespace: DurableObjectNamespace<Streaming>,
): DurableObjectStub<Streaming> {
  return namespace.get(namespace.idFromName("owner"));
}

/**
 * Closes the sockets a revoked token opened, without waiting and without throwing. A failure
 * is logged: those sockets stay open (still receiving) until they reconnect, when the token
 * is refused.
 */
export function closeTokenSockets(
  ctx: { readonly streaming: DurableObjectNamespace<Streaming> },
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
