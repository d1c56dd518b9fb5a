/**
 * Every HTML page we serve carries a strict Content-Security-Policy unless its route set its
 * own (the consent page does, with a nonce and its form's target): nothing loads but images,
 * the one inline style sheet (named by its hash), no script, no form, no framing.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { STYLE } from "../../pages/layout";

let styleSource: Promise<string> | undefined;

/** `'sha256-…'` of the layout's style sheet, computed once per isolate. */
function styleHash(): Promise<string> {
  styleSource ??= crypto.subtle
    .digest("SHA-256", new TextEncoder().encode(STYLE))
    .then((d) => `'sha256-${btoa(String.fromCharCode(...new Uint8Array(d)))}'`);
  return styleSource;
}

export function htmlSecurity(): MiddlewareHandler<AppEnv> {
  return async function htmlSecurity(c, next) {
    await next();
    const type = c.res.headers.get("Content-Type") ?? "";
    if (!type.startsWith("text/html") || c.res.headers.has("Content-Security-Policy")) return;
    // A response passed through (a fetch, R2) may have immutable headers: copy it first.
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set(
      "Content-Security-Policy",
      `default-src 'none'; img-src 'self' https: data:; style-src ${await styleHash()}; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
    );
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    c.res.headers.set("Referrer-Policy", "strict-origin-when-cross-origin");
  };
}
