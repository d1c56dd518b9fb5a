/**
 * From a handle (`user@host`) to an actor we can address: the one we know, or the one its
 * server's WebFinger names, fetched and stored.
 */
import type { Handle } from "../activitypub/compose";
import { asString } from "../activitypub/parse";
import { fetchActor } from "../cache/actors";
import type { AppContext } from "../context";
import { type WebfingerLookup, webfingerLinks } from "../outbound/webfinger";
import { findActorByHandle } from "../storage/actors";
import type { ActorRow } from "../storage/schema";

/**
 * Why a handle names no actor: `notFound` when its server says there is none (or names no
 * ActivityPub actor, or may not be asked), `failed` when it could not tell (no answer in
 * time, an error, an answer that is not a WebFinger document): worth trying again later.
 */
export type ResolveFailure = "notFound" | "failed";

export type ResolveResult =
  | { readonly ok: true; readonly actor: ActorRow }
  | { readonly ok: false; readonly reason: ResolveFailure };

/** What a WebFinger lookup that found nothing means for a handle. */
const LOOKUP_FAILURES: Readonly<
  Record<Extract<WebfingerLookup, { ok: false }>["reason"], ResolveFailure>
> = { notFound: "notFound", refused: "notFound", unreachable: "failed", invalid: "failed" };

/** `user@host`, `@user@host` or `acct:user@host`; undefined when it is not one. */
export function parseHandle(value: string): Handle | undefined {
  const match = value
    .trim()
    .replace(/^acct:/i, "")
    .match(/^@?(?<username>[^@\s/]+)@(?<host>[a-z0-9.-]+(?::\d{1,5})?)$/i);
  const { username, host } = match?.groups ?? {};
  if (username === undefined || host === undefined) return undefined;
  return { username, host: host.toLowerCase() };
}

export async function resolveHandle(ctx: AppContext, handle: Handle): Promise<ResolveResult> {
  const known = await findActorByHandle(ctx.db, handle);
  if (known !== undefined) return { ok: true, actor: known };
  const lookup = await webfingerLinks(ctx, handle);
  if (!lookup.ok) return { ok: false, reason: LOOKUP_FAILURES[lookup.reason] };
  // The actor is the `self` link of an ActivityPub type (`outbound/webfinger.ts`'s `webfinger`).
  const link = lookup.links.find(
    (l) =>
      l.rel === "self" && /^application\/(activity\+json|ld\+json)/.test(asString(l.type) ?? ""),
  );
  const self = link === undefined ? undefined : asString(link.href);
  if (self === undefined) return { ok: false, reason: "notFound" };
  const fetched = await fetchActor(ctx, self);
  if (!fetched.ok) return { ok: false, reason: fetched.reason === "gone" ? "notFound" : "failed" };
  return { ok: true, actor: fetched.actor };
}
