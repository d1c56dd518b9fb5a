/** JSON-LD contexts and well-known IRIs of the vocabulary we speak. */

export const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
export const SECURITY_CONTEXT = "https://w3id.org/security/v1";
export const PUBLIC_COLLECTION = "https://www.w3.org/ns/activitystreams#Public";

/** The compacted forms that name the public collection too. */
const PUBLIC_SHORT_FORMS: readonly unknown[] = ["Public", "as:Public"];

export const isPublicShortForm = (value: unknown): boolean => PUBLIC_SHORT_FORMS.includes(value);

/** The public collection, by its IRI or a compacted form. */
export const isPublicCollection = (value: unknown): boolean =>
  value === PUBLIC_COLLECTION || isPublicShortForm(value);

/** Extension terms Mastodon and its peers read (toot:, schema:, as: additions). */
const EXTENSIONS = {
  manuallyApprovesFollowers: "as:manuallyApprovesFollowers",
  sensitive: "as:sensitive",
  Hashtag: "as:Hashtag",
  alsoKnownAs: { "@id": "as:alsoKnownAs", "@type": "@id" },
  movedTo: { "@id": "as:movedTo", "@type": "@id" },
  toot: "http://joinmastodon.org/ns#",
  featured: { "@id": "toot:featured", "@type": "@id" },
  discoverable: "toot:discoverable",
  indexable: "toot:indexable",
  Emoji: "toot:Emoji",
  blurhash: "toot:blurhash",
  focalPoint: { "@container": "@list", "@id": "toot:focalPoint" },
  schema: "http://schema.org#",
  PropertyValue: "schema:PropertyValue",
  value: "schema:value",
} as const;

/** The context of every document we serve; one context keeps documents comparable. */
export const CONTEXT = [AS_CONTEXT, SECURITY_CONTEXT, EXTENSIONS] as const;

/** Adds `@context` in front of a document that is served on its own. */
export function withContext<T extends object>(document: T): { "@context": typeof CONTEXT } & T {
  return { "@context": CONTEXT, ...document };
}
