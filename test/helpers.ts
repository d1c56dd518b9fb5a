/** Shared by the integration tests: requests to the instance, and rows seeded in real D1. */

import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { actorEntryKey, forgetHeldEntries } from "../src/cache/actor-cache";
import { purgePublic } from "../src/cache/public-documents";
import { type AppContext, createContext } from "../src/context";
import { type Config, parseConfig } from "../src/env";
import worker from "../src/index";
import { noteId } from "../src/mastodon/ids";
import { createDb, type Db } from "../src/storage/db";
import {
  actors,
  follows,
  type NewNoteRow,
  noteRecipients,
  notes,
  noteTags,
  outbox,
  type Visibility,
} from "../src/storage/schema";

export const ORIGIN = "https://outpost.test";
export const OWNER = `${ORIGIN}/users/owner`;
export const AP = "application/activity+json";
export const LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"';
export const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
export const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

export function request(path: string, init: RequestInit = {}): Promise<Response> {
  const url = path.startsWith("http") ? path : `${ORIGIN}${path}`;
  return exports.default.fetch(url, { redirect: "manual", ...init });
}

export function get(path: string, accept?: string): Promise<Response> {
  return request(path, { headers: accept === undefined ? {} : { Accept: accept } });
}

/** GETs an ActivityStreams document and parses it. */
export async function getJson<T = Record<string, unknown>>(path: string): Promise<T> {
  const res = await get(path, AP);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The owner token the tests run with (vitest.config.ts). */
export const OWNER_TOKEN = "test-owner-token";

export interface ApiInit {
  readonly method?: string;
  /** Sent as JSON; the method defaults to POST with a body, GET without. */
  readonly body?: unknown;
  /** Another token, or null for none; the owner's by default. */
  readonly token?: string | null;
  readonly headers?: Record<string, string>;
}

/** A call to the owner's API: a path under `/api`, or a whole URL (from a `Link` header). */
export function api(path: string, init: ApiInit = {}): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== null) headers.Authorization = `Bearer ${init.token ?? OWNER_TOKEN}`;
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  const url = path.startsWith("http") ? path : `${ORIGIN}/api${path}`;
  return exports.default.fetch(url, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

export const db = () => createDb(env.DB);

/** The configuration the tests' instance runs with. */
export function testConfig(): Config {
  const parsed = parseConfig(env);
  if (!parsed.ok) throw new Error(`test configuration is invalid: ${parsed.errors.join("; ")}`);
  return parsed.config;
}

/** The context the instance's code runs with, its clock `offsetSeconds` ahead of now. */
export const appContext = (offsetSeconds = 0): AppContext =>
  createContext(env, testConfig(), { now: () => new Date(Date.now() + offsetSeconds * 1000) });

/**
 * Makes what we hold of an actor look as it does an hour after its fetch: its D1 row old,
 * its KV entry expired. A key that fails to verify is then fetched again.
 */
export async function ageActor(id: string): Promise<void> {
  const fetchedAt = new Date(Date.now() - 3600_000);
  await db().update(actors).set({ fetchedAt }).where(eq(actors.id, id));
  await env.ACTOR_CACHE.delete(await actorEntryKey(id));
  forgetHeldEntries();
}

let clock = Date.parse("2026-01-01T00:00:00Z");
/** Distinct, increasing timestamps, so that orderings are deterministic. */
export function tick(): Date {
  clock += 1000;
  return new Date(clock);
}

let nextId = 1000;
export interface SeedNote {
  readonly id?: string;
  readonly visibility?: Visibility;
  readonly attributedTo?: string;
  readonly inReplyTo?: string;
  readonly content?: string;
  readonly pinned?: boolean;
  readonly deleted?: boolean;
  readonly tags?: readonly string[];
  readonly summary?: string;
}

/**
 * Stores one of the owner's notes with its recipients, tags and `Create` activity, and
 * purges the cached copies it makes stale, as the owner's posting does.
 */
export async function seedNote(seed: SeedNote = {}) {
  const slug = seed.id ?? String(nextId++);
  const id = `${OWNER}/statuses/${slug}`;
  const visibility = seed.visibility ?? "public";
  const published = tick();
  const row: NewNoteRow = {
    id,
    attributedTo: seed.attributedTo ?? OWNER,
    inReplyTo: seed.inReplyTo ?? null,
    content: seed.content ?? `<p>note ${slug}</p>`,
    summary: seed.summary ?? null,
    visibility,
    url: `${ORIGIN}/@owner/${slug}`,
    published,
    pinnedAt: seed.pinned ? published : null,
    deletedAt: seed.deleted ? tick() : null,
  };
  const addressing = {
    public: { to: [PUBLIC], cc: [`${OWNER}/followers`] },
    unlisted: { to: [`${OWNER}/followers`], cc: [PUBLIC] },
    private: { to: [`${OWNER}/followers`], cc: [] },
    direct: { to: ["https://remote.test/users/friend"], cc: [] },
  }[visibility];
  const [inserted] = await db().insert(notes).values(row).returning({ seq: notes.seq });
  if (inserted === undefined) throw new Error("note not stored");
  const recipients = [
    ...addressing.to.map((recipient) => ({
      noteSeq: inserted.seq,
      recipient,
      field: "to" as const,
    })),
    ...addressing.cc.map((recipient) => ({
      noteSeq: inserted.seq,
      recipient,
      field: "cc" as const,
    })),
  ];
  await db().insert(noteRecipients).values(recipients);
  for (const tag of seed.tags ?? []) {
    await db()
      .insert(noteTags)
      .values({ noteSeq: inserted.seq, type: "Hashtag", name: tag, href: `${ORIGIN}/tags/${tag}` });
  }
  await db()
    .insert(outbox)
    .values({
      id: `${id}/activity`,
      actor: OWNER,
      type: "Create",
      objectId: id,
      visibility,
      payload: { id: `${id}/activity`, type: "Create", actor: OWNER, object: id, ...addressing },
      published,
    });
  await purgePublic(testConfig().urls, [{ kind: "note", id }]);
  return { id, slug, seq: inserted.seq, statusId: noteId({ seq: inserted.seq, published }) };
}

/** The Mastodon status id of a stored note, by its IRI: what the API calls it. */
export async function statusIdOf(iri: string): Promise<string> {
  const [row] = await db().select().from(notes).where(eq(notes.id, iri));
  if (row === undefined) throw new Error(`note ${iri} is not stored`);
  return noteId(row);
}

/** The owner's Mastodon account id, as the API shows it. */
export async function ownerAccountId(): Promise<string> {
  const res = await api("/v1/accounts/verify_credentials");
  if (res.status !== 200) throw new Error(`verify_credentials: ${res.status}`);
  return ((await res.json()) as { id: string }).id;
}

/** Stores a follow edge (`follower` follows `actor`), and purges what shows the owner's. */
export async function seedFollow(
  actor: string,
  follower: string,
  state: "pending" | "accepted" = "accepted",
) {
  await db()
    .insert(follows)
    .values({
      actor,
      follower,
      state,
      activityId: `${follower}#follows/${nextId++}`,
      createdAt: tick(),
    });
  await purgePublic(testConfig().urls, [{ kind: "follows" }]);
}

/**
 * A request to the Worker as deployed with other vars (a differently configured instance):
 * the same bindings, the vars overridden.
 */
export function fetchWithVars(
  vars: Partial<Record<keyof Env, string>>,
  request: Request | string,
  init?: RequestInit,
): Promise<Response> {
  const req = typeof request === "string" ? new Request(request, init) : request;
  return worker.fetch(
    req as Parameters<typeof worker.fetch>[0],
    { ...env, ...vars } as Env,
    createExecutionContext(),
  );
}

/** The URLs of a response's `Link` header, by relation (`next`, `prev`). */
export function linksOf(res: Response): Record<string, string> {
  const header = res.headers.get("Link") ?? "";
  return Object.fromEntries(
    [...header.matchAll(/<([^>]+)>;\s*rel="(\w+)"/g)].map((m) => [m[2], m[1]]),
  );
}

/** One run of the cron trigger, as Cloudflare makes it, awaited to the end. */
export async function runCron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "*/15 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

/**
 * The query plans (EXPLAIN QUERY PLAN, one line per step) of the statements `run` makes,
 * alone or in a batch: each is captured as D1 binds it, and explained on real D1.
 */
export async function plansOf(run: (db: Db) => Promise<unknown>): Promise<string[][]> {
  const statements: { sql: string; params: unknown[] }[] = [];
  const recorded = <T extends object>(target: T, wrap: (prop: string | symbol) => unknown) =>
    new Proxy(target, {
      get(t, prop) {
        const wrapped = wrap(prop);
        if (wrapped !== undefined) return wrapped;
        const value = Reflect.get(t, prop, t);
        return typeof value === "function" ? value.bind(t) : value;
      },
    });
  const d1 = recorded(env.DB, (prop) =>
    prop === "prepare"
      ? (sql: string) => {
          const statement = env.DB.prepare(sql);
          return recorded(statement, (p) =>
            p === "bind"
              ? (...params: unknown[]) => {
                  statements.push({ sql, params });
                  return statement.bind(...params);
                }
              : undefined,
          );
        }
      : undefined,
  );
  await run(createDb(d1));
  expect(statements.length).toBeGreaterThan(0);
  return Promise.all(
    statements.map(async ({ sql, params }) => {
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      return results.map((r) => r.detail);
    }),
  );
}
