/**
 * GETs a remote ActivityStreams document the way Mastodon does: ActivityPub `Accept`, a
 * timeout, a size cap, at most one redirect, signed by the instance actor so that servers
 * requiring authorized fetch answer, and the document's `id` checked against the URL.
 */
import { isObject, type JsonObject } from "../activitypub/parse";
import type { AppContext } from "../context";
import { MAX_JSON_DEPTH, nestsWithin } from "../lib/json-depth";
import { readCapped } from "../lib/read-capped";
import { type SigningKey, signMessage } from "../signatures/sign";
import { loadSigningKey } from "../storage/local-actors";
import { SOFTWARE } from "../version";
import { type Followed, fetchFollowing } from "./redirects";

export const AP_ACCEPT =
  'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

export type FetchFailure =
  /** The URL is not one we may request (scheme, private address...). */
  | "blocked"
  | "timeout"
  | "network"
  /** 404 or 410: the document is gone. */
  | "gone"
  | "httpError"
  | "tooLarge"
  | "notJson"
  /** The document says it is something else than what was asked for. */
  | "idMismatch"
  | "tooManyRedirects";

export type FetchDocumentResult =
  | { readonly ok: true; readonly document: JsonObject; readonly url: string }
  | { readonly ok: false; readonly reason: FetchFailure; readonly status?: number };

export interface FetchDocumentOptions {
  readonly devFederation: boolean;
  /** Signs the GET (the instance actor's key); unsigned when absent. */
  readonly signer?: SigningKey;
  /** When it is signed; default now. */
  readonly now?: Date;
  /** Where requests claim to come from, for the User-Agent. */
  readonly origin: string;
  /** Whether `id` must equal the URL asked (after the redirect). Default true. */
  readonly checkId?: boolean;
  /** For the whole fetch, redirect included. Default `FETCH_TIMEOUT_MS`. */
  readonly timeoutMs?: number;
  /** Ends the fetch when it aborts (one deadline shared by several fetches); else `timeoutMs`. */
  readonly signal?: AbortSignal;
  /** Default `MAX_DOCUMENT_BYTES`. */
  readonly maxBytes?: number;
}

const MAX_REDIRECTS = 1;
/** How long a remote server has to answer (Mastodon: 10 s). */
export const FETCH_TIMEOUT_MS = 10_000;
/** The largest document read (Mastodon: 1 MiB). */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

/** The `User-Agent` of every request the instance makes. */
export const userAgent = (origin: string): string =>
  `${SOFTWARE.name}/${SOFTWARE.version} (+${origin}/)`;

export async function fetchDocument(
  target: string,
  options: FetchDocumentOptions,
): Promise<FetchDocumentResult> {
  const signal = options.signal ?? AbortSignal.timeout(options.timeoutMs ?? FETCH_TIMEOUT_MS);
  const asked = target.split("#")[0] ?? target;
  let followed: Followed;
  try {
    followed = await fetchFollowing(asked, {
      config: options,
      maxRedirects: MAX_REDIRECTS,
      send: (url) => get(url, { ...options, signal }),
    });
  } catch (error) {
    return { ok: false, reason: transportFailure(error) };
  }
  if (!followed.ok) {
    if (followed.reason === "refused") return { ok: false, reason: "blocked" };
    if (followed.reason === "tooManyRedirects") return { ok: false, reason: "tooManyRedirects" };
    return { ok: false, reason: "httpError", status: followed.status };
  }
  const { response } = followed;
  const url = followed.redirectedTo?.href ?? asked;
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    return { ok: false, reason: "gone", status: response.status };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { ok: false, reason: "httpError", status: response.status };
  }
  let bytes: Uint8Array | undefined;
  try {
    // The timeout covers the body too: a server may send its headers and then stall.
    bytes = await readCapped(response, options.maxBytes ?? MAX_DOCUMENT_BYTES);
  } catch (error) {
    return { ok: false, reason: transportFailure(error) };
  }
  if (bytes === undefined) return { ok: false, reason: "tooLarge" };
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return { ok: false, reason: "notJson" };
  }
  // Too deep to walk safely is as unreadable as not JSON at all.
  if (!isObject(document) || !nestsWithin(document, MAX_JSON_DEPTH)) {
    return { ok: false, reason: "notJson" };
  }
  if ((options.checkId ?? true) && document.id !== url) return { ok: false, reason: "idMismatch" };
  return { ok: true, document, url };
}

/** What went wrong on the wire: the timeout, or anything else (refused, reset, DNS...). */
const transportFailure = (error: unknown): "timeout" | "network" =>
  error instanceof Error && error.name === "TimeoutError" ? "timeout" : "network";

async function get(url: URL, options: FetchDocumentOptions): Promise<Response> {
  let headers = new Headers({
    Accept: AP_ACCEPT,
    "User-Agent": userAgent(options.origin),
  });
  if (options.signer !== undefined) {
    headers = await signMessage(
      { method: "GET", url, headers },
      { key: options.signer, flavour: "cavage", now: options.now },
    );
  }
  return fetch(url, {
    headers,
    redirect: "manual",
    signal: options.signal,
  });
}

/** Fetches a document for federation purposes, signed by the instance actor. */
export async function fetchRemote(
  ctx: Pick<AppContext, "db" | "config" | "now">,
  url: string,
  options: Pick<FetchDocumentOptions, "checkId" | "signal"> = {},
): Promise<FetchDocumentResult> {
  const { config } = ctx;
  const now = ctx.now();
  const signer = await loadSigningKey(ctx.db, {
    role: "instance",
    keyId: config.urls.instance.keyId,
    now,
  });
  return fetchDocument(url, {
    devFederation: config.devFederation,
    origin: config.origin,
    signer,
    now,
    checkId: options.checkId,
    signal: options.signal,
  });
}
