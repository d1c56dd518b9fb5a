/**
 * From a URL an app pasted into search to what it names: a note or an account, the stored
 * one, or (when the app asks to resolve) the one its server gives, fetched and stored through
 * the same path as received notes (`remoteNote`, `insertNoteStatements`). Our own URLs are
 * never fetched. A note is answered only when the owner may see it (`visibleToOwner`), as
 * Mastodon authorises what a URL resolves to (`StatusPolicy#show?`).
 */
import { ACTOR_TYPES, hostOf, type JsonObject, NOTE_TYPES, typeOf } from "../activitypub/parse";
import { parseActor } from "../activitypub/remote-actor";
import { parseNote, visibilityOf } from "../activitypub/remote-note";
import { toCachedActor, writeActor } from "../cache/actor-cache";
import { fetchActor, toActorRow } from "../cache/actors";
import type { AppContext } from "../context";
import { fetchRemote } from "../outbound/fetch-document";
import { findActor, storeActor } from "../storage/actors";
import { runBatch } from "../storage/db";
import { insertNoteStatements } from "../storage/notes";
import type { ActorRow, NoteRow } from "../storage/schema";
import { visibleNoteById } from "../storage/threads";
import { remoteNote } from "./remote-notes";

/**
 * How long the documents of a URL may take (the document, and its canonical copy when the URL
 * was not its id); an unknown author is then fetched with the usual timeout.
 */
export const RESOLVE_TIMEOUT_MS = 5_000;

export type UrlResource =
  | { readonly kind: "note"; readonly note: NoteRow }
  | { readonly kind: "actor"; readonly actor: ActorRow }
  | { readonly kind: "owner" };

/** The stored note with this id, if the owner may see it (not deleted, theirs to see). */
async function visibleNote(ctx: AppContext, id: string): Promise<UrlResource | undefined> {
  const note = await visibleNoteById(ctx.db, { id, owner: ctx.config.urls.owner.id });
  return note === undefined ? undefined : { kind: "note", note };
}

/** One of our URLs: the owner (actor or profile), or a note of theirs (id or page). */
async function localResource(ctx: AppContext, url: URL): Promise<UrlResource | undefined> {
  const { urls } = ctx.config;
  const href = url.href.replace(/\/$/, "");
  if (href === urls.owner.id || href === urls.owner.profile) return { kind: "owner" };
  const page = `${urls.owner.profile}/`;
  const id = href.startsWith(page) ? urls.note(href.slice(page.length)) : href;
  return visibleNote(ctx, id);
}

/** A stored note the owner may see, or a stored actor, with this id. */
async function storedResource(ctx: AppContext, id: string): Promise<UrlResource | undefined> {
  const [note, actor] = await Promise.all([visibleNote(ctx, id), findActor(ctx.db, id)]);
  if (note !== undefined) return note;
  return actor === undefined ? undefined : { kind: "actor", actor };
}

/** A fetched note stored as a received one is (its author fetched when unknown). */
async function storeNote(ctx: AppContext, document: JsonObject): Promise<UrlResource | undefined> {
  const note = parseNote(document, { owner: ctx.config.urls.owner.id });
  // Only a server may speak for its own actors (as for a note fetched for a thread).
  if (note === undefined || hostOf(note.attributedTo) !== hostOf(note.id)) return undefined;
  const known = await findActor(ctx.db, note.attributedTo);
  const fetched = known === undefined ? await fetchActor(ctx, note.attributedTo) : undefined;
  const author = known ?? (fetched?.ok ? fetched.actor : undefined);
  // Without its author a status cannot be shown.
  if (author === undefined) return undefined;
  const stored = await remoteNote(note, {
    visibility: visibilityOf(note, author.followers),
    receivedAt: ctx.now(),
  });
  await runBatch(ctx.db, insertNoteStatements(ctx.db, stored));
  return visibleNote(ctx, note.id);
}

/** A fetched actor, stored and cached as `fetchActor` stores one. */
async function storeActorDocument(
  ctx: AppContext,
  document: JsonObject,
): Promise<UrlResource | undefined> {
  const parsed = parseActor(document);
  if (parsed === undefined) return undefined;
  const now = ctx.now();
  const actor = await storeActor(ctx.db, await toActorRow(parsed, now));
  await writeActor(ctx.cache, toCachedActor(actor), now);
  return { kind: "actor", actor };
}

/**
 * What a URL names. Stored things are answered without a request; with `fetch`, another
 * server's URL is fetched (signed, within `RESOLVE_TIMEOUT_MS`). A URL that is not the
 * document's id (a note's page, a profile) is fetched again by that id, whose server alone
 * says what it holds.
 */
export async function resolveUrl(
  ctx: AppContext,
  value: string,
  fetch: boolean,
): Promise<UrlResource | undefined> {
  const url = URL.parse(value);
  if (url === null) return undefined;
  url.hash = "";
  if (url.origin === ctx.config.origin) return localResource(ctx, url);
  const stored = await storedResource(ctx, url.href);
  if (stored !== undefined || !fetch) return stored;
  const signal = AbortSignal.timeout(RESOLVE_TIMEOUT_MS);
  const first = await fetchRemote(ctx, url.href, { checkId: false, signal });
  if (!first.ok) return undefined;
  let document = first.document;
  if (document.id !== first.url) {
    const id = typeof document.id === "string" ? document.id : undefined;
    if (id === undefined) return undefined;
    const known = await storedResource(ctx, id);
    if (known !== undefined) return known;
    const canonical = await fetchRemote(ctx, id, { signal });
    if (!canonical.ok) return undefined;
    document = canonical.document;
  }
  const type = typeOf(document) ?? "";
  if (NOTE_TYPES.has(type)) return storeNote(ctx, document);
  if (ACTOR_TYPES.has(type)) return storeActorDocument(ctx, document);
  return undefined;
}
