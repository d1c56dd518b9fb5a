/**
 * Reading what a remote account's profile shows beyond the actor we store: its fields
 * (`PropertyValue` attachments, as Mastodon writes them), whether it is discoverable and
 * indexable, and its collections (outbox, featured, followers, following): their
 * `totalItems`, and the items of the collection or of its first page. Pure, lenient.
 */
import { asArray, asString, asUrl, isObject, type JsonObject, localized, typeOf } from "./parse";

/** The most fields kept (Mastodon shows 4 of its own; other servers allow more). */
export const MAX_PROFILE_FIELDS = 16;
/** A field's name and value are cut to these many characters (Mastodon: 255 and 2,047). */
export const FIELD_LIMITS = { name: 255, value: 2047 } as const;

export interface RemoteProfile {
  /** Names as plain text, values as the remote HTML (to be sanitised before they are kept). */
  readonly fields: readonly { readonly name: string; readonly value: string }[];
  readonly discoverable: boolean | null;
  readonly indexable: boolean | null;
}

const flag = (value: unknown): boolean | null => (typeof value === "boolean" ? value : null);

/** The profile's fields and flags in an actor document. */
export function parseRemoteProfile(document: JsonObject): RemoteProfile {
  const fields = asArray(document.attachment)
    .filter((a): a is JsonObject => isObject(a) && typeOf(a) === "PropertyValue")
    .flatMap((a) => {
      const name = localized(a, "name").text;
      const value = asString(a.value);
      return name === undefined || value === undefined
        ? []
        : [{ name: name.slice(0, FIELD_LIMITS.name), value: value.slice(0, FIELD_LIMITS.value) }];
    })
    .slice(0, MAX_PROFILE_FIELDS);
  return {
    fields,
    discoverable: flag(document.discoverable),
    indexable: flag(document.indexable),
  };
}

/** A collection's `totalItems`, when it says one (a whole number). */
export function totalItemsOf(document: JsonObject): number | undefined {
  const total = document.totalItems;
  return typeof total === "number" && Number.isSafeInteger(total) && total >= 0 ? total : undefined;
}

/** Where a collection's items are: in the document, or on its first page (embedded or linked). */
export type CollectionItems =
  | { readonly kind: "items"; readonly items: readonly unknown[] }
  | { readonly kind: "page"; readonly url: string }
  | { readonly kind: "none" };

/** The items a collection (or a page of one) holds, the first `max` of them. */
export function collectionItems(document: JsonObject, max: number): CollectionItems {
  const own = document.orderedItems ?? document.items;
  if (own !== undefined) return { kind: "items", items: asArray(own).slice(0, max) };
  const first = document.first;
  if (isObject(first)) {
    const items = first.orderedItems ?? first.items;
    if (items !== undefined) return { kind: "items", items: asArray(items).slice(0, max) };
    const next = asUrl(first.id);
    return next === undefined ? { kind: "none" } : { kind: "page", url: next };
  }
  const url = asUrl(first);
  return url === undefined ? { kind: "none" } : { kind: "page", url };
}
