/**
 * The Outpost under test, seen from outside: its origin, the owner's API with the token, and
 * fetches of its ActivityPub documents, as a remote server or a client would make them.
 */
import type { Peer } from "./peer";

const instance = globalThis.outpostUnderTest;
if (instance === undefined) throw new Error("test/interop/setup.ts starts the instance");

export const { origin } = instance;
export const ownerId = `${origin}/users/owner`;
const { token } = instance;

const AP = "application/activity+json";

/** JSON from the instance: the tests' assertions are its type checks. */
// biome-ignore lint/suspicious/noExplicitAny: one alias, so that the tests can read deep fields
type Json = any;

/** The owner's API: JSON in, JSON out; throws on anything but 2xx. */
export async function api<T = Json>(path: string, init: { method?: string; body?: unknown } = {}) {
  const res = await fetch(`${origin}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!res.ok)
    throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** An ActivityPub document of the instance, fetched unsigned as a server would. */
export async function document<T = Json>(pathOrUrl: string): Promise<T> {
  const url = pathOrUrl.startsWith("http") ? pathOrUrl : `${origin}${pathOrUrl}`;
  const res = await fetch(url, { headers: { accept: AP } });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}

/** `totalItems` of one of the owner's collections. */
export async function total(collection: "followers" | "following"): Promise<number> {
  return (await document<{ totalItems: number }>(`/users/owner/${collection}`)).totalItems;
}

/** The ids in a collection, following its first page when it is paged. */
export async function items(collection: "followers" | "following"): Promise<string[]> {
  const doc = await document<Json>(`/users/owner/${collection}`);
  const page =
    doc.orderedItems === undefined && doc.first !== undefined
      ? typeof doc.first === "string"
        ? await document<Json>(doc.first)
        : doc.first
      : doc;
  return ((page.orderedItems ?? page.items ?? []) as (string | { id: string })[]).map((i) =>
    typeof i === "string" ? i : i.id,
  );
}

/** Polls until `check` returns something other than undefined/false (deliveries are queued). */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeout = 30_000, what = "condition" }: { timeout?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A peer's actor follows the owner and gets the Accept; the Follow's id. */
export async function followOwner(peer: Peer, username: string): Promise<string> {
  const follow = await peer.follow(username, ownerId);
  await eventually(() => peer.followingState(username, ownerId) === "accepted", {
    what: `${username}'s follow to be accepted`,
  });
  return follow;
}
