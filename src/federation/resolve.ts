/**
 * From a handle (`user@host`) to an actor we can address: the one we know, or the one its
 * server's WebFinger names, fetched and stored.
 */
import type { Handle } from "../activitypub/compose";
import { asString, isObject } from "../activitypub/parse";
import { fetchActor, type RemoteContext } from "../cache/remote-actors";
import { isLoopbackHostname } from "../env";
import { findActorByHandle } from "../storage/actors";
import type { ActorRow } from "../storage/schema";
import { SOFTWARE } from "../version";
import { readCapped } from "./fetch-document";
import { checkRemoteUrl } from "./remote-url";

export type ResolveResult =
  | { readonly ok: true; readonly actor: ActorRow }
  | { readonly ok: false; readonly reason: "notFound" | "failed" };

/** `user@host`, `@user@host` or `acct:user@host`; undefined when it is not one. */
export function parseHandle(value: string): Handle | undefined {
  const match = value
    .trim()
    .replace(/^acct:/i, "")
    .match(/^@?([^@\s/]+)@([a-z0-9.-]+(?::\d{1,5})?)$/i);
  if (match === null) return undefined;
  return { username: match[1] as string, host: (match[2] as string).toLowerCase() };
}

export async function resolveHandle(ctx: RemoteContext, handle: Handle): Promise<ResolveResult> {
  const known = await findActorByHandle(ctx.db, handle.username, handle.host);
  if (known !== undefined) return { ok: true, actor: known };
  const self = await webfinger(ctx, handle);
  if (self === undefined) return { ok: false, reason: "notFound" };
  const fetched = await fetchActor(ctx, self);
  if (!fetched.ok) return { ok: false, reason: fetched.reason === "gone" ? "notFound" : "failed" };
  return { ok: true, actor: fetched.actor };
}

/** The `self` link of `acct:user@host`, from the host's WebFinger. */
async function webfinger(ctx: RemoteContext, handle: Handle): Promise<string | undefined> {
  const hostname = handle.host.replace(/:\d+$/, "");
  // Plain http only to a loopback host with the development switch on.
  const scheme = ctx.config.devFederation && isLoopbackHostname(hostname) ? "http" : "https";
  const url = `${scheme}://${handle.host}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${handle.username}@${handle.host}`)}`;
  const allowed = checkRemoteUrl(url, ctx.config);
  if (!allowed.ok) return undefined;
  try {
    const response = await fetch(allowed.url, {
      headers: {
        Accept: "application/jrd+json, application/json",
        "User-Agent": `${SOFTWARE.name}/${SOFTWARE.version} (+${ctx.config.origin}/)`,
      },
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const body = await readCapped(response, 256 * 1024);
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
