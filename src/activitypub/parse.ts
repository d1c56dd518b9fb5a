/**
 * Reading remote ActivityStreams as the fediverse actually writes it: a property may be a
 * string, an object or an array; `content` may only exist in `contentMap`; `url` may be a
 * Link; `@context` may be anything. Nothing here throws on odd input: it returns undefined.
 */
import { recorder } from "../metrics/recorder";

/** A JSON object as received: its values are looked at with the readers below. */
export type JsonObject = { readonly [key: string]: unknown };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A property as a list, whatever shape it came in. */
export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The longest URL read from another server: real ids and links are far shorter. */
export const MAX_URL_LENGTH = 4096;

/** The lists of a remote document whose length is capped (see `capped`). */
export type CappedList = "to" | "cc" | "tag" | "attachment";

/**
 * At most `max` entries of a list taken from another server, in its order; what is beyond
 * is ignored, and counted (`activitypub_inbound_ignored_items_total`), never stored. Beyond
 * the cap, up to `MAX_KEPT_BEYOND` entries that `matters` says decide something (who a note
 * is for) are kept all the same: the cap bounds what is written, not who is addressed.
 */
export function capped(value: unknown, { max, list, matters }: CapOptions): unknown[] {
  const items = asArray(value);
  if (items.length <= max) return items;
  const rest = items.slice(max);
  const ranked =
    matters === undefined
      ? []
      : rest
          .map((item) => ({ item, rank: matters(item) }))
          .filter((r) => r.rank > 0)
          .sort((a, b) => b.rank - a.rank);
  const kept = ranked.slice(0, MAX_KEPT_BEYOND).map((r) => r.item);
  recorder().inc("activitypub_inbound_ignored_items_total", { list }, rest.length - kept.length);
  return [...items.slice(0, max), ...kept];
}

export interface CapOptions {
  readonly max: number;
  readonly list: CappedList;
  /**
   * How much an entry beyond the cap matters: 0 not at all, else kept, the highest first
   * (at most `MAX_KEPT_BEYOND` of them).
   */
  readonly matters?: (item: unknown) => number;
}

/** How many entries beyond a cap `matters` may keep. */
export const MAX_KEPT_BEYOND = 8;

/** An http(s) URL string of at most `MAX_URL_LENGTH` characters, or undefined. */
export function asUrl(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length > MAX_URL_LENGTH) return undefined;
  const url = URL.parse(value);
  return url !== null && (url.protocol === "https:" || url.protocol === "http:")
    ? url.href
    : undefined;
}

/**
 * The id of a reference: the string itself, or the `id` of an embedded object; of a list,
 * its first entry's. A list inside a list is no reference (and is not followed down).
 */
export function idOf(value: unknown): string | undefined {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return asUrl(isObject(first) ? first.id : first);
}

/** Every id in a property that may hold one reference or many. */
export function idsOf(value: unknown): string[] {
  return asArray(value).flatMap((v) => idOf(v) ?? []);
}

/** The first type of an object (`type` may be an array: `["Person", "vcard:individual"]`). */
export function typeOf(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const type = asArray(value.type).find((t) => typeof t === "string");
  return typeof type === "string" ? type : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Text that may be given as `name` or in a language map (`nameMap`). */
export function localized(object: JsonObject, key: string): { text?: string; language?: string } {
  const plain = asString(object[key]);
  const map = object[`${key}Map`];
  if (isObject(map)) {
    const [language, text] =
      Object.entries(map).find(
        ([, v]) => typeof v === "string" && (plain === undefined || v === plain),
      ) ?? [];
    if (typeof text === "string") return { text: plain ?? text, language };
  }
  return plain === undefined ? {} : { text: plain };
}

/**
 * The page for people: `url` may be a string, a Link (`href`), or a list of them where the
 * HTML one is the right one to show.
 */
export function firstLink(value: unknown): string | undefined {
  const links = asArray(value);
  const html = links.find((l) => isObject(l) && asString(l.mediaType)?.startsWith("text/html"));
  for (const link of html === undefined ? links : [html, ...links]) {
    const href = isObject(link) ? asUrl(link.href) : asUrl(link);
    if (href !== undefined) return href;
  }
  return undefined;
}

export function asDate(value: unknown): Date | undefined {
  if (typeof value !== "string") return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time);
}

/** The host of a URL, lower-cased, with the port when there is one. */
export function hostOf(url: string): string {
  return new URL(url).host;
}

export const ACTOR_TYPES = new Set(["Person", "Service", "Application", "Group", "Organization"]);

/** Object types stored like notes; everything else is acknowledged and skipped. */
export const NOTE_TYPES = new Set([
  "Note",
  "Question",
  "Article",
  "Page",
  "Video",
  "Image",
  "Audio",
  "Event",
]);
