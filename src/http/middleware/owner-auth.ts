/**
 * The owner's routes take `Authorization: Bearer <OWNER_TOKEN>`, on every route of every
 * router that mounts this middleware. No token configured: every request is refused.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";

async function sameSecret(a: string, b: string): Promise<boolean> {
  // Hashing first gives equal lengths, so the comparison takes the same time whatever differs.
  const encoder = new TextEncoder();
  const [x, y] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(x, y);
}

export function requireOwner(): MiddlewareHandler<AppEnv> {
  return async function requireOwner(c, next) {
    const expected = c.var.ctx.config.ownerToken;
    const given = c.req.header("Authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (expected === undefined) {
      return c.json({ error: "this instance has no owner token configured (OWNER_TOKEN)" }, 401, {
        "WWW-Authenticate": 'Bearer realm="outpost"',
      });
    }
    if (given === undefined || !(await sameSecret(given, expected))) {
      return c.json({ error: "The access token is invalid" }, 401, {
        "WWW-Authenticate": 'Bearer realm="outpost", error="invalid_token"',
      });
    }
    await next();
  };
}
