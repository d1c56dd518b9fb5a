/**
 * Remote actors by id: served from the KV cache while fresh, else fetched from their server
 * (the document must repeat the id) and cached again. D1 keeps the actors we have a
 * relationship with, the source of truth for delivery and the Mastodon API; KV is the hot
 * path.
 */
import { type ParsedActor, parseActor } from "../activitypub/remote-actor";
import { sanitizeHtml } from "../activitypub/sanitize";
import type { AppContext } from "../context";
import { fetchRemote } from "../outbound/fetch-document";
import { storeActor, storeIfNewer } from "../storage/actors";
import type { ActorRow, NewActorRow } from "../storage/schema";
import {
  countLookup,
  fromCachedActor,
  readActor,
  toCachedActor,
  writeActor,
  writeGone,
} from "./actor-cache";

/** The row we keep for an actor: its summary sanitised, stamped with the fetch time. */
export async function toActorRow(actor: ParsedActor, fetchedAt: Date): Promise<NewActorRow> {
  return {
    ...actor,
    summary: actor.summary == null ? null : await sanitizeHtml(actor.summary),
    fetchedAt,
  };
}

export type FetchActorResult =
  | { readonly ok: true; readonly actor: ActorRow }
  | { readonly ok: false; readonly reason: "gone" | "failed" };

/**
 * An actor by its id, stored in D1 (the caller is about to have a relationship with it):
 * from the cache while fresh, else fetched and cached. A server that does not answer leaves
 * us with the copy we had, if any.
 */
export async function fetchActor(
  ctx: Pick<AppContext, "db" | "config" | "cache" | "now">,
  id: string,
): Promise<FetchActorResult> {
  const now = ctx.now();
  const cached = await readActor(ctx.cache, id, now);
  if (cached.kind !== "miss" && cached.fresh) {
    countLookup("hit");
    if (cached.kind === "gone") return { ok: false, reason: "gone" };
    return { ok: true, actor: await storeIfNewer(ctx.db, fromCachedActor(cached.actor)) };
  }
  countLookup(cached.kind === "miss" ? "miss" : "refresh");
  const fetched = await fetchRemote(ctx, id);
  if (!fetched.ok) {
    if (fetched.reason === "gone") {
      await writeGone(ctx.cache, id, now);
      return { ok: false, reason: "gone" };
    }
    if (cached.kind === "actor") {
      return { ok: true, actor: await storeIfNewer(ctx.db, fromCachedActor(cached.actor)) };
    }
    return { ok: false, reason: "failed" };
  }
  const parsed = parseActor(fetched.document);
  if (parsed === undefined) return { ok: false, reason: "failed" };
  const stored = await storeActor(ctx.db, await toActorRow(parsed, now));
  await writeActor(ctx.cache, toCachedActor(stored), now);
  return { ok: true, actor: stored };
}

/** Whether an actor's own server says it is gone (404 or 410). */
export async function isGone(ctx: Pick<AppContext, "db" | "config" | "now">, id: string) {
  const fetched = await fetchRemote(ctx, id);
  return !fetched.ok && fetched.reason === "gone";
}
