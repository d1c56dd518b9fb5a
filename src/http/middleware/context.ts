/**
 * Builds the request's context (`c.var.ctx`: configuration, D1, KV, queue, clock) once, and
 * refuses to serve a misconfigured instance.
 */
import type { MiddlewareHandler } from "hono";
import { createContext } from "../../context";
import { type AppEnv, isLoopbackHostname, parseConfig } from "../../env";

export function withContext(): MiddlewareHandler<AppEnv> {
  return async function withContext(c, next) {
    const result = parseConfig(c.env);
    if (!result.ok) {
      console.error(`configuration error: ${result.errors.join("; ")}`);
      return c.json({ error: "instance misconfigured", details: result.errors }, 503);
    }
    // A loopback PUBLIC_ORIGIN on a public host means the instance was deployed with the
    // development default: every id it emitted would point at the visitor's own machine.
    const served = new URL(c.req.url).hostname;
    if (isLoopbackHostname(new URL(result.config.origin).hostname) && !isLoopbackHostname(served)) {
      console.error(`PUBLIC_ORIGIN ${result.config.origin} is loopback but served at ${served}`);
      return c.json(
        { error: "instance misconfigured", details: ["PUBLIC_ORIGIN is a loopback origin"] },
        503,
      );
    }
    c.set("ctx", createContext(c.env, result.config));
    await next();
  };
}
