/**
 * Every HTML page we serve carries a strict Content-Security-Policy unless its route set its
 * own (the consent page does, with a nonce and its form's target; the Follow page, with its
 * form's): nothing loads but our images and media (and https images), the one inline style
 * sheet (named by its hash), no script, no form, no framing.
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

export interface PagePolicyOptions {
  /** Where the page's forms may go, redirects included. Default none (`'none'`). */
  readonly formAction?: readonly string[];
}

/**
 * A page's policy. Video and audio come only from our own `/media/` (`media-src 'self'`);
 * pictures from anywhere over https (the avatar and header the vars may name).
 */
export async function pagePolicy(options: PagePolicyOptions = {}): Promise<string> {
  const forms = options.formAction ?? [];
  return [
    "default-src 'none'",
    "img-src 'self' https:",
    "media-src 'self'",
    `style-src ${await styleHash()}`,
    `form-action ${forms.length === 0 ? "'none'" : forms.join(" ")}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
}

export function htmlSecurity(): MiddlewareHandler<AppEnv> {
  return async function htmlSecurity(c, next) {
    await next();
    const type = c.res.headers.get("Content-Type") ?? "";
    if (!type.startsWith("text/html") || c.res.headers.has("Content-Security-Policy")) return;
    // A response passed through (a fetch, R2) may have immutable headers: copy it first.
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set("Content-Security-Policy", await pagePolicy());
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    c.res.headers.set("Referrer-Policy", "strict-origin-when-cross-origin");
  };
}
