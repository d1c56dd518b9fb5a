/**
 * The inbox's two rate limits (the platform's rate-limit bindings): one per client address,
 * before any work, which bounds what unverifiable traffic can cost; one per verified sending
 * host, which bounds what one server can make us write.
 */
import type { Context, MiddlewareHandler } from "hono";
import { hostOf } from "../../activitypub/parse";
import { jsonError } from "../responses";
import type { InboxEnv } from "./env";

/** What a client is told to wait, in seconds: the limits' period. */
const RETRY_AFTER_SECONDS = 60;

function tooMany(c: Context<InboxEnv>) {
  c.header("Retry-After", String(RETRY_AFTER_SECONDS));
  return jsonError(c, 429, "too many activities; try again later");
}

/** Requests per client address (`CF-Connecting-IP`, set by Cloudflare, not by the client). */
export function limitByAddress(): MiddlewareHandler<InboxEnv> {
  return async function limitByAddress(c, next) {
    const client = c.req.header("cf-connecting-ip") ?? "unknown";
    const { success } = await c.env.INBOX_IP_RATE_LIMITER.limit({ key: client });
    if (!success) return tooMany(c);
    await next();
  };
}

/** Activities per verified sending host. */
export function limitBySender(): MiddlewareHandler<InboxEnv> {
  return async function limitBySender(c, next) {
    const { success } = await c.env.INBOX_RATE_LIMITER.limit({ key: hostOf(c.var.signer) });
    if (!success) return tooMany(c);
    await next();
  };
}
