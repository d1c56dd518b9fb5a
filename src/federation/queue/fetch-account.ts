/**
 * A remote account refreshed because the owner looked at it (a `fetchObject` message of
 * purpose `account`, asked for by `federation/accounts.ts`): its actor document again (what
 * D1 keeps, and its fields and flags), its recent posts from its outbox and its pins from its
 * featured collection (stored as notes, as any note we receive), and the totals of its
 * outbox, followers and following (kept in KV, `cache/account-extras.ts`). Every document is
 * fetched from the account's own server; a note is kept only when it is the account's own,
 * on its host, and the owner may see it. What a server does not answer is left as it was.
 * An account the owner blocked (or on a domain they blocked) is not refreshed: nothing is
 * asked of it, nothing it wrote is stored.
 */
import { hostOf, idOf, isObject, type JsonObject, typeOf } from "../../activitypub/parse";
import { parseActor } from "../../activitypub/remote-actor";
import { type ParsedNote, parseNote, visibilityOf } from "../../activitypub/remote-note";
import {
  collectionItems,
  parseRemoteProfile,
  type RemoteProfile,
  totalItemsOf,
} from "../../activitypub/remote-profile";
import { sanitizeHtml } from "../../activitypub/sanitize";
import { readAccountExtras, writeAccountExtras } from "../../cache/account-extras";
import { toActorRow } from "../../cache/actors";
import type { AppContext } from "../../context";
import { fetchRemote } from "../../outbound/fetch-document";
import { MAX_FEATURED } from "../../storage/account-statuses";
import { findActor, storeActor } from "../../storage/actors";
import { runBatch, type Statement } from "../../storage/db";
import { findFollow } from "../../storage/follows";
import { insertNoteStatements } from "../../storage/notes";
import { isKeptAway } from "../../storage/safety";
import type { ActorRow } from "../../storage/schema";
import { addressesOwner, remoteNote } from "../remote-notes";

/** The most outbox items read: Mastodon's outbox pages hold 20. */
export const MAX_OUTBOX_ITEMS = 20;

interface CollectionRead {
  /** Whether the collection answered (its items may be empty all the same). */
  readonly ok: boolean;
  readonly total: number | undefined;
  readonly items: readonly unknown[];
}

const NOTHING: CollectionRead = { ok: false, total: undefined, items: [] };

/**
 * A collection of the account's, on its own host: its total, and up to `max` items (from the
 * collection, or its first page: one more fetch). Nothing when it cannot be read.
 */
async function readCollection(
  ctx: AppContext,
  actor: ActorRow,
  wanted: { url: string | null; max: number },
): Promise<CollectionRead> {
  const { url, max } = wanted;
  if (url === null || hostOf(url) !== actor.domain) return NOTHING;
  const fetched = await fetchRemote(ctx, url);
  if (!fetched.ok) return NOTHING;
  const total = totalItemsOf(fetched.document);
  const empty = { ok: true, total, items: [] };
  if (max === 0) return empty;
  const where = collectionItems(fetched.document, max);
  if (where.kind === "items") return { ok: true, total, items: where.items };
  if (where.kind === "none" || hostOf(where.url) !== actor.domain) return empty;
  // A page's id may differ from the URL it was linked by (a query added): its host is checked.
  const page = await fetchRemote(ctx, where.url, { checkId: false });
  if (!page.ok) return { ...empty, ok: false };
  const items = collectionItems(page.document, max);
  return { ok: true, total, items: items.kind === "items" ? items.items : [] };
}

/** The notes an outbox's `Create`s carry, and the notes a featured collection embeds. */
function candidates(actor: ActorRow, outbox: readonly unknown[], featured: readonly unknown[]) {
  const objects: JsonObject[] = [];
  for (const item of outbox) {
    if (isObject(item) && typeOf(item) === "Create" && idOf(item.actor) === actor.id) {
      if (isObject(item.object)) objects.push(item.object);
    }
  }
  for (const item of featured) if (isObject(item)) objects.push(item);
  return objects;
}

/** Whether anyone may see a note: public or unlisted. */
function isListed(note: ParsedNote, actor: ActorRow): boolean {
  const visibility = visibilityOf(note, actor.followers);
  return visibility === "public" || visibility === "unlisted";
}

/** What decides whether the owner may see a note of the account's. */
interface Viewer {
  readonly owner: string;
  /** Whether the owner follows the account (accepted): its followers-only notes are theirs. */
  readonly follows: boolean;
}

/** The visibility of a note read from the account's collections, when it is one to keep. */
function keep(actor: ActorRow, note: ParsedNote | undefined, viewer: Viewer) {
  if (note === undefined || note.attributedTo !== actor.id || hostOf(note.id) !== actor.domain) {
    return undefined;
  }
  const visibility = visibilityOf(note, actor.followers);
  const seen = isListed(note, actor) || viewer.follows || addressesOwner(viewer.owner, note);
  return seen ? visibility : undefined;
}

/** A refresh this recent makes another one (asked at the same moment) needless. */
const REFRESHED_LATELY_MS = 60_000;

export async function refreshAccount(ctx: AppContext, actorId: string): Promise<"done"> {
  const known = await findActor(ctx.db, actorId);
  // Forgotten since it was asked for: nothing to refresh. Blocked since (or its domain):
  // nothing is asked of it, nothing it wrote stored.
  if (known === undefined) return "done";
  if (await isKeptAway(ctx.db, { actor: actorId, domain: known.domain })) return "done";
  const now = ctx.now();
  const previous = await readAccountExtras(ctx.cache, actorId);
  // Two looks at the same moment each asked: the second finds it done.
  if (previous?.refreshedAt != null && now.getTime() - previous.refreshedAt < REFRESHED_LATELY_MS) {
    return "done";
  }
  const owner = ctx.config.urls.owner.id;
  let actor = known;
  let profile: RemoteProfile | undefined;
  const fetched = await fetchRemote(ctx, actorId);
  const parsed = fetched.ok ? parseActor(fetched.document) : undefined;
  if (fetched.ok && parsed?.id === actorId) {
    actor = await storeActor(ctx.db, await toActorRow(parsed, now));
    profile = parseRemoteProfile(fetched.document);
  }
  const [outbox, featured, followers, following] = await Promise.all([
    readCollection(ctx, actor, { url: actor.outbox, max: MAX_OUTBOX_ITEMS }),
    readCollection(ctx, actor, { url: actor.featured, max: MAX_FEATURED }),
    readCollection(ctx, actor, { url: actor.followers, max: 0 }),
    readCollection(ctx, actor, { url: actor.following, max: 0 }),
  ]);
  const notes = candidates(actor, outbox.items, featured.items).map((object) =>
    parseNote(object, { owner }),
  );
  // Whether the owner follows it, read once, and only when a note is not public.
  const hidden = notes.some((note) => note !== undefined && !isListed(note, actor));
  const edge = hidden ? await findFollow(ctx.db, { actor: actor.id, follower: owner }) : undefined;
  const viewer = { owner, follows: edge?.state === "accepted" };
  const statements: Statement[] = [];
  const stored = new Set<string>();
  for (const note of notes) {
    const visibility = keep(actor, note, viewer);
    if (note === undefined || visibility === undefined || stored.has(note.id)) continue;
    stored.add(note.id);
    // A note stored already stays as it is: its edits come by `Update`.
    statements.push(
      ...insertNoteStatements(ctx.db, await remoteNote(note, { visibility, receivedAt: now })),
    );
  }
  await runBatch(ctx.db, statements);
  const pins = featured.items
    .flatMap((item) => idOf(item) ?? [])
    .filter((id) => hostOf(id) === actor.domain);
  await writeAccountExtras(ctx.cache, actorId, {
    v: 1,
    requestedAt: now.getTime(),
    refreshedAt: now.getTime(),
    statuses: outbox.total ?? previous?.statuses ?? null,
    followers: followers.total ?? previous?.followers ?? null,
    following: following.total ?? previous?.following ?? null,
    fields:
      profile === undefined
        ? (previous?.fields ?? [])
        : await Promise.all(
            profile.fields.map(async (f) => ({ name: f.name, value: await sanitizeHtml(f.value) })),
          ),
    discoverable: profile?.discoverable ?? previous?.discoverable ?? null,
    indexable: profile?.indexable ?? previous?.indexable ?? null,
    featured:
      featured.ok || actor.featured === null
        ? pins.slice(0, MAX_FEATURED)
        : (previous?.featured ?? []),
  });
  return "done";
}
