/** Work a request leaves running after its answer: the invocation's `waitUntil`. */
import type { Context } from "hono";
import type { AppContext } from "../context";
import type { AppEnv } from "../env";
import { inBackground } from "../metrics/recorder";
import type { Background } from "../streaming/stream";

/**
 * The request's `waitUntil`; without an execution context (an app called bare, in tests) the
 * work is left running unwatched.
 */
export function waitUntilOf(c: Context): (p: Promise<unknown>) => void {
  try {
    return inBackground(c.executionCtx);
  } catch {
    return () => undefined;
  }
}

/** The request's context with its `waitUntil`, for actions whose events stream after the answer. */
export function withBackground(c: Context<AppEnv>): AppContext & Background {
  return { ...c.var.ctx, waitUntil: waitUntilOf(c) };
}
