/**
 * The Worker's environment as the app sees it: the generated `Env` bindings, and the
 * configuration parsed and validated from its vars once per invocation (cheap, no I/O).
 */
import * as v from "valibot";
import { type LocalUrls, localUrls } from "./activitypub/urls";
import type { AppContext } from "./context";
import { BASE_BACKOFF_MS } from "./federation/delivery/policy";
import type { OAuthAppRow } from "./storage/schema";

/** What every route sees: the bindings, and the request's context (`http/middleware/context.ts`). */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    ctx: AppContext;
    /** Who the request speaks for, once an auth middleware has checked its token. */
    auth: Principal;
  };
};

/**
 * A checked bearer token: the `OWNER_TOKEN` (every scope), an OAuth token acting as the
 * owner, or an app's own token (client credentials: the app, no owner).
 */
export type Principal =
  | { readonly kind: "ownerToken" }
  | {
      readonly kind: "user" | "app";
      readonly tokenSeq: number;
      readonly app: OAuthAppRow;
      readonly scopes: ReadonlySet<string>;
    };

export interface ProfileField {
  readonly name: string;
  readonly value: string;
}

/**
 * What the owner configures about themselves (wrangler.toml `[vars]`). The display name,
 * summary, fields, approval and discovery settings are only the profile's first-run defaults:
 * once the owner changes it from an app, it is read from D1 (`storage/owner-profile.ts`).
 */
export interface OwnerProfile {
  /** `OWNER_USERNAME`; default `owner`. Letters, digits and `_`. */
  readonly username: string;
  /** `OWNER_DISPLAY_NAME`; default the username. */
  readonly displayName: string;
  /** `OWNER_SUMMARY`: plain text, turned into HTML paragraphs. */
  readonly summary: string;
  readonly avatarUrl: string | undefined;
  readonly headerUrl: string | undefined;
  /** `OWNER_FIELDS`: a JSON array of `{ "name", "value" }`, at most 16. */
  readonly fields: readonly ProfileField[];
  /** `OWNER_ALSO_KNOWN_AS`: actor URLs separated by commas (for account migration). */
  readonly alsoKnownAs: readonly string[];
  /** `OWNER_MOVED_TO`: the actor URL this account moved to. */
  readonly movedTo: string | undefined;
  readonly manuallyApprovesFollowers: boolean;
  readonly discoverable: boolean;
  readonly indexable: boolean;
}

export interface Config {
  /** `PUBLIC_ORIGIN`, normalised: scheme, host and port, no trailing slash. */
  readonly origin: string;
  /** Host with the port when there is one: what `acct:` URIs use. */
  readonly host: string;
  readonly owner: OwnerProfile;
  /** Every IRI the instance emits, all derived from `origin`. */
  readonly urls: LocalUrls;
  /** `DEV_FEDERATION`: fetch from and deliver to plain-http loopback hosts. */
  readonly devFederation: boolean;
  /**
   * The delivery backoff's base, in ms: 8 s, unless `DEV_RETRY_BASE_MS` shortens it on a
   * development instance, so that a breaker opens, parks and drains within seconds.
   */
  readonly retryBaseMs: number;
  /** `OWNER_TOKEN` secret; owner routes refuse every request while it is unset. */
  readonly ownerToken: string | undefined;
  /** `OWNER_PASSWORD` secret: the owner signs in with it (OAuth consent); none, no sign-in. */
  readonly ownerPassword: string | undefined;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly errors: readonly string[] };

const USERNAME = /^[a-z0-9_]{1,30}$/i;
const MAX_FIELDS = 16;
const Fields = v.pipe(
  v.array(v.object({ name: v.string(), value: v.string() })),
  v.maxLength(MAX_FIELDS),
);

/** True for `localhost`, `*.localhost`, 127.0.0.0/8 and `[::1]`. */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.+$/, "");
  return (
    h === "localhost" ||
    h.endsWith(".localhost") ||
    h === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
  );
}

/**
 * Parses and checks the vars. A wrong value is reported, not guessed around: an instance
 * that emitted ids from the wrong origin would poison the caches of every server it met.
 */
export function parseConfig(vars: Partial<Record<keyof Env, unknown>>): ConfigResult {
  const errors: string[] = [];
  const str = (key: keyof Env): string => {
    const value = vars[key];
    return typeof value === "string" ? value.trim() : "";
  };
  const bool = (key: keyof Env, fallback: boolean): boolean => {
    const value = str(key).toLowerCase();
    if (value === "") return fallback;
    if (value === "true" || value === "1") return true;
    if (value === "false" || value === "0") return false;
    errors.push(`${key} must be "true" or "false"`);
    return fallback;
  };
  const httpUrl = (key: keyof Env, value: string): string | undefined => {
    if (value === "") return undefined;
    const url = URL.parse(value);
    if (url === null || (url.protocol !== "https:" && url.protocol !== "http:")) {
      errors.push(`${key} must be an http(s) URL`);
      return undefined;
    }
    return url.href;
  };

  const origin = parseOrigin(str("PUBLIC_ORIGIN"), errors);
  const devFederation = bool("DEV_FEDERATION", false);
  if (devFederation && origin !== undefined && !isLoopbackHostname(new URL(origin).hostname)) {
    errors.push("DEV_FEDERATION is only allowed when PUBLIC_ORIGIN is a loopback origin");
  }
  const retryBaseMs = parseRetryBase(str("DEV_RETRY_BASE_MS"), devFederation, errors);

  const username = str("OWNER_USERNAME") || "owner";
  if (!USERNAME.test(username)) {
    errors.push("OWNER_USERNAME must be 1 to 30 letters, digits or underscores");
  }

  const owner: OwnerProfile = {
    username,
    displayName: str("OWNER_DISPLAY_NAME") || username,
    summary: str("OWNER_SUMMARY"),
    avatarUrl: httpUrl("OWNER_AVATAR_URL", str("OWNER_AVATAR_URL")),
    headerUrl: httpUrl("OWNER_HEADER_URL", str("OWNER_HEADER_URL")),
    fields: parseFields(str("OWNER_FIELDS"), errors),
    alsoKnownAs: str("OWNER_ALSO_KNOWN_AS")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "")
      .flatMap((s) => httpUrl("OWNER_ALSO_KNOWN_AS", s) ?? []),
    movedTo: httpUrl("OWNER_MOVED_TO", str("OWNER_MOVED_TO")),
    manuallyApprovesFollowers: bool("OWNER_MANUALLY_APPROVES_FOLLOWERS", false),
    discoverable: bool("OWNER_DISCOVERABLE", true),
    indexable: bool("OWNER_INDEXABLE", false),
  };

  if (origin === undefined || errors.length > 0) return { ok: false, errors };
  const { host, hostname } = new URL(origin);
  if (hostname.toLowerCase() === username.toLowerCase()) {
    // The instance actor is `acct:<hostname>@<host>`, as on Mastodon and GoToSocial.
    return { ok: false, errors: ["OWNER_USERNAME must differ from the host name"] };
  }
  const ownerToken = str("OWNER_TOKEN");
  const ownerPassword = str("OWNER_PASSWORD");
  return {
    ok: true,
    config: {
      origin,
      host,
      owner,
      urls: localUrls(origin, username, hostname),
      devFederation,
      retryBaseMs,
      ownerToken: ownerToken === "" ? undefined : ownerToken,
      ownerPassword: ownerPassword === "" ? undefined : ownerPassword,
    },
  };
}

function parseOrigin(value: string, errors: string[]): string | undefined {
  if (value === "") {
    errors.push("PUBLIC_ORIGIN is not set");
    return undefined;
  }
  const url = URL.parse(value);
  if (
    url === null ||
    (url.protocol !== "https:" && url.protocol !== "http:") ||
    url.username !== "" ||
    url.password !== "" ||
    url.pathname !== "/" ||
    url.search !== "" ||
    url.hash !== ""
  ) {
    errors.push(`PUBLIC_ORIGIN must be a bare origin such as https://social.example, not ${value}`);
    return undefined;
  }
  if (url.protocol === "http:" && !isLoopbackHostname(url.hostname)) {
    errors.push("PUBLIC_ORIGIN must use https unless it is a loopback origin");
    return undefined;
  }
  return url.origin;
}

/**
 * `DEV_RETRY_BASE_MS`: a whole number of milliseconds. Only a development instance may
 * shorten its backoff: a deployed one retrying every second would hammer a struggling host.
 */
function parseRetryBase(value: string, devFederation: boolean, errors: string[]): number {
  if (value === "") return BASE_BACKOFF_MS;
  const ms = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 1) {
    errors.push("DEV_RETRY_BASE_MS must be a positive whole number of milliseconds");
  } else if (ms > BASE_BACKOFF_MS) {
    // Shortening only: a longer base would push delays past what Queues accept (12 h).
    errors.push(`DEV_RETRY_BASE_MS may not exceed ${BASE_BACKOFF_MS}`);
  } else if (!devFederation) {
    errors.push("DEV_RETRY_BASE_MS is only allowed with DEV_FEDERATION");
  } else {
    return ms;
  }
  return BASE_BACKOFF_MS;
}

function parseFields(value: string, errors: string[]): ProfileField[] {
  if (value === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    errors.push("OWNER_FIELDS must be JSON");
    return [];
  }
  const fields = v.safeParse(Fields, parsed);
  if (!fields.success) {
    errors.push(`OWNER_FIELDS must be an array of at most ${MAX_FIELDS} { "name", "value" }`);
    return [];
  }
  return fields.output;
}
