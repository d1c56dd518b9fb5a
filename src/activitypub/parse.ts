/**
 * Reading remote ActivityStreams as the fediverse actually writes it: a property may be a
 * string, an object or an array; `content` may only exist in `contentMap`; `url` may be a
 * Link; `@context` may be anything. Nothing here throws on odd input: it returns undefined.
 */

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

/** An http(s) URL string, or undefined. */
export function asUrl(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const url = URL.parse(value);
  return url !== null && (url.protocol === "https:" || url.protocol === "http:")
    ? url.href
    : undefined;
}

/** The id of a reference: the string itself, or the `id` of an embedded object. */
export function idOf(value: unknown): string | undefined {
  if (Array.isArray(value)) return idOf(value[0]);
  if (isObject(value)) return asUrl(value.id);
  return asUrl(value);
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
