/** Reading remote actor documents and their keys. */
import { MAX_PUBLIC_KEY_PEM_LENGTH } from "../signatures/keys";
import type { NewActorRow } from "../storage/schema";
import {
  ACTOR_TYPES,
  asArray,
  asDate,
  asString,
  asUrl,
  firstLink,
  hostOf,
  isObject,
  type JsonObject,
  typeOf,
} from "./parse";

/** An actor as we keep it: the fields we use, not the whole remote payload. */
export type ParsedActor = Omit<NewActorRow, "seq" | "fetchedAt" | "createdAt">;

/**
 * The most of an actor's texts that we keep (Mastodon keeps 100 characters of a remote
 * display name and 5,000 of a bio); what is beyond is cut, so that a stored actor stays a
 * few kilobytes whatever its document holds. A longer username is not kept at all.
 */
export const ACTOR_TEXT_LIMITS = { name: 200, summary: 10_000, preferredUsername: 200 } as const;

/** A handle's user part: one longer than any server allows is no handle (a cut one names nobody). */
function usernameOf(value: unknown): string | null {
  const username = asString(value);
  return username === undefined || username.length > ACTOR_TEXT_LIMITS.preferredUsername
    ? null
    : username;
}

/** A text cut to `max` UTF-16 units, never in the middle of a surrogate pair. */
function cut(text: string | undefined, max: number): string | null {
  if (text === undefined) return null;
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text[max - 1] ?? "") ? max - 1 : max;
  return text.slice(0, end);
}

function imageUrl(value: unknown): string | undefined {
  for (const image of asArray(value)) {
    const url = isObject(image) ? firstLink(image.url) : asUrl(image);
    if (url !== undefined) return url;
  }
  return undefined;
}

export interface PublicKeyEntry {
  readonly id: string;
  readonly owner: string | undefined;
  readonly publicKeyPem: string;
}

/** The keys a document carries: its `publicKey` entries, or itself when it is a key. */
export function publicKeysOf(document: JsonObject): PublicKeyEntry[] {
  const entries = document.publicKeyPem === undefined ? asArray(document.publicKey) : [document];
  return entries.flatMap((entry) => {
    if (!isObject(entry)) return [];
    const id = asUrl(entry.id);
    const pem = asString(entry.publicKeyPem);
    // No key is that long: whatever is, is not read (nor kept).
    if (id === undefined || pem === undefined || pem.length > MAX_PUBLIC_KEY_PEM_LENGTH) {
      return [];
    }
    return [{ id, owner: asUrl(entry.owner), publicKeyPem: pem }];
  });
}

/** The actor in a document, or undefined when it is not an actor we can talk to. */
export function parseActor(document: JsonObject): ParsedActor | undefined {
  const id = asUrl(document.id);
  const type = typeOf(document);
  const inbox = asUrl(document.inbox);
  if (id === undefined || type === undefined || !ACTOR_TYPES.has(type) || inbox === undefined) {
    return undefined;
  }
  const endpoints = isObject(document.endpoints) ? document.endpoints : {};
  // Only a key on the actor's own host: a document may not claim another server's key id.
  const key = publicKeysOf(document).find(
    (k) => (k.owner === undefined || k.owner === id) && hostOf(k.id) === hostOf(id),
  );
  return {
    id,
    type,
    preferredUsername: usernameOf(document.preferredUsername),
    domain: hostOf(id),
    name: cut(asString(document.name), ACTOR_TEXT_LIMITS.name),
    summary: cut(asString(document.summary), ACTOR_TEXT_LIMITS.summary),
    url: firstLink(document.url) ?? null,
    inbox,
    sharedInbox: asUrl(endpoints.sharedInbox) ?? null,
    outbox: asUrl(document.outbox) ?? null,
    followers: asUrl(document.followers) ?? null,
    following: asUrl(document.following) ?? null,
    featured: asUrl(document.featured) ?? null,
    publicKeyId: key?.id ?? null,
    publicKeyPem: key?.publicKeyPem ?? null,
    iconUrl: imageUrl(document.icon) ?? null,
    imageUrl: imageUrl(document.image) ?? null,
    manuallyApprovesFollowers: document.manuallyApprovesFollowers === true,
    published: asDate(document.published) ?? null,
  };
}
