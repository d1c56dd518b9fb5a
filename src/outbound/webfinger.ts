/** Asking a server's WebFinger which actor a handle (`user@host`) names. */
import type { Handle } from "../activitypub/compose";
import { asString, isObject } from "../activitypub/parse";
import type { AppContext } from "../context";
import { isLoopbackHostname } from "../env";
import { readCapped } from "../lib/read-capped";
import { FETCH_TIMEOUT_MS, userAgent } from "./fetch-document";
import { checkRemoteUrl } from "./remote-url";

/** The largest WebFinger document read. */
const MAX_JRD_BYTES = 256 * 1024;

/** The `self` link of `acct:user@host`, from the host's WebFinger; undefined when none. */
export async function webfinger(
  ctx: Pick<AppContext, "config">,
  handle: Handle,
): Promise<string | undefined> {
  const hostname = handle.host.replace(/:\d+$/, "");
  // Plain http only to a loopback host with the development switch on.
  const scheme = ctx.config.devFederation && isLoopbackHostname(hostname) ? "http" : "https";
  const resource = encodeURIComponent(`acct:${handle.username}@${handle.host}`);
  const allowed = checkRemoteUrl(
    `${scheme}://${handle.host}/.well-known/webfinger?resource=${resource}`,
    ctx.config,
  );
  if (!allowed.ok) return undefined;
  try {
    const response = await fetch(allowed.url, {
      headers: {
        Accept: "application/jrd+json, application/json",
        "User-Agent": userAgent(ctx.config.origin),
      },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const body = await readCapped(response, MAX_JRD_BYTES);
    const jrd: unknown =
      body === undefined ? undefined : JSON.parse(new TextDecoder().decode(body));
    if (!isObject(jrd) || !Array.isArray(jrd.links)) return undefined;
    const self = jrd.links.find(
      (l) =>
        isObject(l) &&
        l.rel === "self" &&
        /^application\/(activity\+json|ld\+json)/.test(asString(l.type) ?? ""),
    );
    return isObject(self) ? asString(self.href) : undefined;
  } catch {
    return undefined;
  }
}
