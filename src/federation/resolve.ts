/**
 * From a handle (`user@host`) to an actor we can address: the one we know, or the one its
 * server's WebFinger names, fetched and stored.
 */
import type { Handle } from "../activitypub/compose";
import { fetchActor } from "../cache/actors";
import type { AppContext } from "../context";
import { webfinger } from "../outbound/webfinger";
import { findActorByHandle } from "../storage/actors";
import type { ActorRow } from "../storage/schema";

export type ResolveResult =
  | { readonly ok: true; readonly actor: ActorRow }
  | { readonly ok: false; readonly reason: "notFound" | "failed" };

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
  const self = await webfinger(ctx, handle);
  if (self === undefined) return { ok: false, reason: "notFound" };
  const fetched = await fetchActor(ctx, self);
  if (!fetched.ok) return { ok: false, reason: fetched.reason === "gone" ? "notFound" : "failed" };
  return { ok: true, actor: fetched.actor };
}
