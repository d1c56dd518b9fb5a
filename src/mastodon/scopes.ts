/**
 * Mastodon's OAuth scopes: which exist, and which a token's scopes grant. A token holds the
 * scopes it was authorised for; a route names the one scope it needs. `read` and `write`
 * grant every `read:x` and `write:x`; the deprecated `follow` grants what follows, blocks
 * and mutes need; `profile` grants only `read:accounts` on verify_credentials (the route
 * names `profile` as an alternative); `admin:read` grants every `admin:read:x`.
 */

/** What an admin scope covers, for reading and for writing alike. */
const ADMIN = [
  "accounts",
  "reports",
  "domain_allows",
  "domain_blocks",
  "ip_blocks",
  "email_domain_blocks",
  "canonical_email_blocks",
] as const;

const SUBSCOPES = {
  read: [
    "accounts",
    "blocks",
    "bookmarks",
    "favourites",
    "filters",
    "follows",
    "lists",
    "mutes",
    "notifications",
    "search",
    "statuses",
  ],
  write: [
    "accounts",
    "blocks",
    "bookmarks",
    "conversations",
    "favourites",
    "filters",
    "follows",
    "lists",
    "media",
    "mutes",
    "notifications",
    "reports",
    "statuses",
  ],
  "admin:read": ADMIN,
  "admin:write": ADMIN,
} as const;

/** What `follow` stands for (Mastodon deprecated it for these). */
const FOLLOW = [
  "read:blocks",
  "write:blocks",
  "read:follows",
  "write:follows",
  "read:mutes",
  "write:mutes",
];

/** Every scope a client may ask for. */
export const SCOPES: ReadonlySet<string> = new Set([
  "follow",
  "push",
  "profile",
  ...Object.keys(SUBSCOPES),
  ...Object.entries(SUBSCOPES).flatMap(([parent, subs]) => subs.map((s) => `${parent}:${s}`)),
]);

/** A scope a route needs: one of the granular ones (or `push`, `profile`). */
export type Scope = string;

/** The most scopes a request may name (there are fewer than 50 distinct ones). */
const MAX_SCOPES = 64;

/**
 * A space-separated scope list (`+` too, as some clients encode spaces); the unknown
 * scopes when there are any. Duplicates collapse; an empty list is `fallback`.
 */
export function parseScopes(
  value: string | undefined,
  fallback = "read",
): { ok: true; scopes: string[] } | { ok: false; unknown: string[] } {
  const given = (value ?? "").split(/[\s+]+/).filter((s) => s !== "");
  const list = [...new Set(given.length === 0 ? fallback.split(" ") : given)];
  const unknown = list.filter((s) => !SCOPES.has(s));
  if (list.length > MAX_SCOPES) return { ok: false, unknown: ["(too many scopes)"] };
  return unknown.length > 0 ? { ok: false, unknown } : { ok: true, scopes: list };
}

/** Whether scopes held grant `needed`. */
export function grants(held: ReadonlySet<string>, needed: Scope): boolean {
  if (held.has(needed)) return true;
  if (held.has("follow") && FOLLOW.includes(needed)) return true;
  const parent = needed.slice(0, needed.lastIndexOf(":"));
  return parent !== "" && Object.hasOwn(SUBSCOPES, parent) && held.has(parent);
}

/** Whether every scope of `asked` is within `allowed` (what an app registered). */
export function within(asked: readonly string[], allowed: ReadonlySet<string>): boolean {
  return asked.every((s) => allowed.has(s) || (s !== "follow" && grants(allowed, s)));
}
