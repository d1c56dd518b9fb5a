/** Asking a server's WebFinger what it says of a handle (`user@host`). */
import type { Handle } from "../activitypub/compose";
import { asString, isObject, type JsonObject } from "../activitypub/parse";
import type { AppContext } from "../context";
import { isLoopbackHostname } from "../env";
import { readCapped } from "../lib/read-capped";
import { FETCH_TIMEOUT_MS, userAgent } from "./fetch-document";
import { fetchFollowing } from "./redirects";

/** The largest WebFinger document read. */
const MAX_JRD_BYTES = 256 * 1024;

/** The JRD's links, or why there are none to read. */
export type WebfingerLookup =
  | { readonly ok: true; readonly links: readonly JsonObject[] }
  | {
      readonly ok: false;
      readonly reason: /** Not a host we may ask (a private address...), or redirected to one. */
        | "refused"
        /** The server answered that it knows no such account (404, 410). */
        | "notFound"
        /** No answer in time, no connection, or an error status. */
        | "unreachable"
        /** An answer that is not a JRD, or redirects past `MAX_REDIRECTS`. */
        | "invalid";
    };

export interface WebfingerOptions {
  /** For the whole request. Default `FETCH_TIMEOUT_MS`. */
  readonly timeoutMs?: number;
}

/** `http` only to a loopback host with the development switch on; `https` otherwise. */
export function schemeFor(ctx: Pick<AppContext, "config">, host: string): "http" | "https" {
  const hostname = host.replace(/:\d+$/, "");
  return ctx.config.devFederation && isLoopbackHostname(hostname) ? "http" : "https";
}

/**
 * Redirects a lookup follows (Mastodon follows WebFinger redirects too), each `Location`
 * checked as the first URL is: a server must not be able to send us on to a private address.
 */
const MAX_REDIRECTS = 3;

/** The links of `acct:user@host` in the host's WebFinger (JRD), with the reason when none. */
export async function webfingerLinks(
  ctx: Pick<AppContext, "config">,
  handle: Handle,
  options: WebfingerOptions = {},
): Promise<WebfingerLookup> {
  const resource = encodeURIComponent(`acct:${handle.username}@${handle.host}`);
  const first = `${schemeFor(ctx, handle.host)}://${handle.host}/.well-known/webfinger?resource=${resource}`;
  // One deadline for the whole lookup, redirects included.
  const signal = AbortSignal.timeout(options.timeoutMs ?? FETCH_TIMEOUT_MS);
  try {
    const followed = await fetchFollowing(first, {
      config: ctx.config,
      maxRedirects: MAX_REDIRECTS,
      send: (url) =>
        fetch(url, {
          headers: {
            Accept: "application/jrd+json, application/json",
            "User-Agent": userAgent(ctx.config.origin),
          },
          redirect: "manual",
          signal,
        }),
    });
    if (!followed.ok)
      return { ok: false, reason: followed.reason === "refused" ? "refused" : "invalid" };
    return await readJrd(followed.response);
  } catch (error) {
    return { ok: false, reason: error instanceof SyntaxError ? "invalid" : "unreachable" };
  }
}

/** The links of a WebFinger answer that is not a redirect. */
async function readJrd(response: Response): Promise<WebfingerLookup> {
  if (!response.ok) {
    await response.body?.cancel();
    const gone = response.status === 404 || response.status === 410;
    return { ok: false, reason: gone ? "notFound" : "unreachable" };
  }
  const body = await readCapped(response, MAX_JRD_BYTES);
  const jrd: unknown = body === undefined ? undefined : JSON.parse(new TextDecoder().decode(body));
  if (!isObject(jrd) || !Array.isArray(jrd.links)) return { ok: false, reason: "invalid" };
  return { ok: true, links: jrd.links.filter(isObject) };
}

/** The `self` link of `acct:user@host`, from the host's WebFinger; undefined when none. */
export async function webfinger(
  ctx: Pick<AppContext, "config">,
  handle: Handle,
): Promise<string | undefined> {
  const lookup = await webfingerLinks(ctx, handle);
  if (!lookup.ok) return undefined;
  const self = lookup.links.find(
    (l) =>
      l.rel === "self" && /^application\/(activity\+json|ld\+json)/.test(asString(l.type) ?? ""),
  );
  return self === undefined ? undefined : asString(self.href);
}
