/**
 * Our public documents (the actor, its collections, the owner's notes, the profile and note
 * pages, NodeInfo) kept in the data centre's Cache API, so that servers fetching the actor or
 * a popular note, or a crowd of link previews, do not read D1 every time. What is kept and
 * when is `http/middleware/public-cache.ts`'s; this module holds the keys, the copies and the
 * purge: what each change of ours makes stale.
 *
 * The Cache API keeps a copy in one data centre and `delete` reaches that one alone, so a
 * copy lives `PUBLIC_CACHE_SECONDS` at most: another data centre may answer that much behind.
 * On `*.workers.dev` the Cache API keeps nothing; every request is then a miss.
 */
import type { LocalUrls } from "../activitypub/urls";

/** How long a data centre keeps a copy: what another data centre may be behind, at most. */
export const PUBLIC_CACHE_SECONDS = 60;

const CACHE_NAME = "outpost:public-documents";

/** The representation of a document: the same URL answers both, by `Accept`. */
export type Representation = "json" | "html";

/**
 * The Cache API key of a document: a made-up URL naming the instance, the representation
 * and the path with its query. The Cache API does not honour `Vary: Accept`, so the
 * representation is part of the key; the instance's origin is too, so that two instances
 * on one zone never share a copy, and the host a request came by (a custom domain, or
 * `workers.dev`) does not matter: the document is the same.
 */
export function documentKey(
  urls: Pick<LocalUrls, "origin">,
  representation: Representation,
  pathAndQuery: string,
): string {
  return `https://public-documents.outpost.invalid/${representation}/${encodeURIComponent(urls.origin)}${pathAndQuery}`;
}

/** The copy kept under a key, if there is one; a failing Cache API is a miss. */
export async function matchDocument(key: string): Promise<Response | undefined> {
  try {
    return await (await caches.open(CACHE_NAME)).match(key);
  } catch {
    return undefined;
  }
}

/**
 * Keeps a copy of a document: its body and type only (never a header that was meant for
 * one request, such as CORS or a D1 bookmark), for `PUBLIC_CACHE_SECONDS` (`s-maxage`,
 * which the Cache API honours).
 */
export async function storeDocument(key: string, body: ReadableStream | null, type: string) {
  const copy = new Response(body, {
    headers: {
      "Content-Type": type,
      "Cache-Control": `public, s-maxage=${PUBLIC_CACHE_SECONDS}`,
    },
  });
  try {
    await (await caches.open(CACHE_NAME)).put(key, copy);
  } catch (error) {
    // The document was answered; only the copy is lost.
    console.warn(`public cache: not kept: ${error instanceof Error ? error.message : "error"}`);
  }
}

/** What of our public documents an action of the owner's or a received activity changed. */
export type PublicChange =
  /** What others see of the owner (name, bio, fields...): the actor, its pages, its `Update`. */
  | { readonly kind: "profile" }
  /**
   * One of the owner's notes posted, edited or deleted: its documents, and the lists and
   * counts that show it (the outbox, the pins, the profile page, NodeInfo's post count).
   */
  | { readonly kind: "note"; readonly id: string }
  /** A reply to one of the owner's notes stored: the note's pages list it. */
  | { readonly kind: "replies"; readonly note: string }
  /** A note's likes or boosts counted (of the owner's notes only; others are not ours). */
  | { readonly kind: "reactions"; readonly note: string }
  /** Who follows the owner or whom they follow: the collections and the profile's counts. */
  | { readonly kind: "follows" }
  /** An activity of the owner's put in the outbox (a boost), or its removal. */
  | { readonly kind: "outbox"; readonly activity?: string }
  /** A profile link verified, or no longer: only the profile pages show it, not the actor. */
  | { readonly kind: "verifiedLinks" };

interface Document {
  readonly url: string;
  readonly as: Representation;
}

const json = (url: string): Document => ({ url, as: "json" });
const html = (url: string): Document => ({ url, as: "html" });
/** The collection and its first page (`first`); pages further on are never kept. */
const collection = (url: string): Document[] => [json(url), json(`${url}?page=true`)];

/**
 * The documents of one of the owner's notes, by its id (none for another's note): those
 * that show its likes and boosts counted, and the others.
 */
function noteDocuments(urls: LocalUrls, id: string): { counts: Document[]; rest: Document[] } {
  const prefix = `${urls.owner.id}/statuses/`;
  const slug = id.startsWith(prefix) ? id.slice(prefix.length) : "";
  if (!/^[0-9]+$/.test(slug)) return { counts: [], rest: [] };
  return {
    counts: [json(id), json(`${id}/likes`), json(`${id}/shares`)],
    rest: [html(id), html(urls.notePage(slug)), json(urls.noteActivity(slug))],
  };
}

/** The profile page, at the actor's id and at its own URL. */
const profilePages = (urls: LocalUrls) => [html(urls.owner.id), html(urls.owner.profile)];
const nodeinfo = (urls: LocalUrls) => [json(urls.nodeinfo20), json(urls.nodeinfo21)];

function documentsOf(urls: LocalUrls, change: PublicChange): Document[] {
  switch (change.kind) {
    case "profile":
      // Its `Update` is in the outbox. Note pages name the owner too; there is no listing
      // them all, so they catch up within `PUBLIC_CACHE_SECONDS`.
      return [
        json(urls.owner.id),
        ...profilePages(urls),
        ...collection(urls.owner.outbox),
        ...nodeinfo(urls),
      ];
    case "note": {
      const { counts, rest } = noteDocuments(urls, change.id);
      return [
        ...counts,
        ...rest,
        ...collection(urls.owner.outbox),
        ...collection(urls.owner.featured),
        ...profilePages(urls),
        ...nodeinfo(urls),
      ];
    }
    case "reactions":
      // The counts are in the note's document and its two collections, not on its pages.
      return noteDocuments(urls, change.note).counts;
    case "replies":
      // Its pages show the replies; its document has no replies collection.
      return noteDocuments(urls, change.note).rest.filter((doc) => doc.as === "html");
    case "follows":
      return [
        ...collection(urls.owner.followers),
        ...collection(urls.owner.following),
        ...profilePages(urls),
      ];
    case "verifiedLinks":
      return profilePages(urls);
    case "outbox":
      return [
        ...collection(urls.owner.outbox),
        ...(change.activity === undefined ? [] : [json(change.activity)]),
      ];
  }
}

/**
 * Deletes the copies a change made stale, in this data centre (the others' expire within
 * `PUBLIC_CACHE_SECONDS`). Called once the change is stored; never fails the change.
 */
export async function purgePublic(urls: LocalUrls, changes: readonly PublicChange[]) {
  const keys = new Set<string>();
  for (const { url, as } of changes.flatMap((change) => documentsOf(urls, change))) {
    if (url.startsWith(`${urls.origin}/`))
      keys.add(documentKey(urls, as, url.slice(urls.origin.length)));
  }
  if (keys.size === 0) return;
  try {
    const cache = await caches.open(CACHE_NAME);
    await Promise.all([...keys].map((key) => cache.delete(key)));
  } catch (error) {
    console.warn(`public cache: not purged: ${error instanceof Error ? error.message : "error"}`);
  }
}

/** What a received note changes of ours: when it answers one of the owner's notes, its pages. */
export const repliesChanged = (
  urls: LocalUrls,
  note: { readonly inReplyTo?: string | null },
): PublicChange[] =>
  note.inReplyTo?.startsWith(`${urls.owner.id}/statuses/`)
    ? [{ kind: "replies", note: note.inReplyTo }]
    : [];
