/**
 * Receiving one activity at an inbox: refuse cheap things first (rate, size, type, shape),
 * then verify the signature and who may say what, then store the activity and its effects
 * once, in one batch, and answer. Slow work (fetching) goes to the queue.
 */
import { eq } from "drizzle-orm";
import * as v from "valibot";
import { hostOf, idOf, type JsonObject, typeOf } from "../../activitypub/parse";
import { applyActorChange } from "../../cache/actor-cache";
import {
  cachedKeyQuery,
  fetchRemote,
  keyResolver,
  type RemoteContext,
  readCachedKey,
} from "../../cache/remote-actors";
import type { Config } from "../../env";
import { verifyRequest } from "../../signatures/verify";
import { findActor } from "../../storage/actors";
import { createDb, type Db, runBatch } from "../../storage/db";
import { inbox } from "../../storage/schema";
import { readCapped } from "../fetch-document";
import type { QueueMessage } from "../messages";
import { startFanouts } from "../outbox";
import { enqueue } from "../queue";
import { deleteActorStatements, handleActivity } from "./handlers";

export const MAX_ACTIVITY_BYTES = 1024 * 1024;

export type InboxResult =
  | { readonly status: 202; readonly duplicate?: boolean }
  | {
      readonly status: 400 | 401 | 403 | 413 | 415 | 429;
      readonly error: string;
      readonly retryAfter?: number;
    };

const ACTIVITY_TYPES = /^application\/(activity\+json|ld\+json|json)$/;

const HttpUrl = v.pipe(
  v.string("must be an http(s) URL"),
  v.check((s) => /^https?:\/\//i.test(s) && URL.canParse(s), "must be an http(s) URL"),
);

/** The envelope every activity must have; the rest is read leniently by the handlers. */
const Envelope = v.looseObject({
  "@context": v.union(
    [v.string(), v.array(v.unknown()), v.record(v.string(), v.unknown())],
    "must be a string, an array or an object",
  ),
  id: HttpUrl,
  type: v.union(
    [v.string(), v.pipe(v.array(v.string()), v.minLength(1))],
    "must be a string or a list of strings",
  ),
  actor: v.union(
    [HttpUrl, v.looseObject({ id: HttpUrl })],
    "must be a URL or an object with an id",
  ),
});

/** `actor is required`, `id must be an http(s) URL`: the first problem, said plainly. */
function describeIssue(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  const key = issue?.path?.[0]?.key;
  if (issue === undefined || typeof key !== "string") return "invalid activity";
  return issue.input === undefined ? `${key} is required` : `${key} ${issue.message}`;
}

export interface ReceiveOptions {
  readonly env: Env;
  readonly config: Config;
  readonly now?: Date;
}

/** Receives one activity; the answer says what became of it, and its type once known. */
export async function receiveActivity(
  request: Request,
  options: ReceiveOptions,
): Promise<InboxResult & { readonly type?: string }> {
  const found: { type?: string } = {};
  const result = await receive(request, options, found);
  return { ...result, type: found.type };
}

async function receive(
  request: Request,
  options: ReceiveOptions,
  found: { type?: string },
): Promise<InboxResult> {
  const { env, config } = options;

  const keyId = claimedKeyId(request.headers);
  // Before any work, a limit per client address (set by Cloudflare, not by the client); the
  // body is only read meanwhile. The limit per sending host needs a verified sender.
  const client = request.headers.get("cf-connecting-ip") ?? "unknown";
  const [limit, body] = await Promise.all([
    env.INBOX_IP_RATE_LIMITER.limit({ key: client }),
    readCapped(request, MAX_ACTIVITY_BYTES),
  ]);
  if (!limit.success) return TOO_MANY;
  if (body === undefined) return { status: 413, error: "activity larger than 1 MB" };
  const contentType = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (contentType === undefined || !ACTIVITY_TYPES.test(contentType)) {
    return { status: 415, error: "content type must be application/activity+json" };
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
  } catch {
    return { status: 400, error: "body is not JSON" };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { status: 400, error: "body is not a JSON object" };
  }
  const envelope = v.safeParse(Envelope, json);
  if (!envelope.success) {
    return { status: 400, error: describeIssue(envelope.issues) };
  }
  const activity = json as JsonObject;
  const id = envelope.output.id as string;
  const type = typeOf(activity) as string;
  found.type = type;
  const actor = idOf(activity.actor) as string;

  // Our own actors never deliver to us over HTTP: whatever claims to be one is not.
  if (hostOf(actor) === config.host || hostOf(id) === config.host) {
    return { status: 403, error: "activities of this instance's own actors are not accepted" };
  }

  const db = createDb(env.DB);
  const remote: RemoteContext = {
    db,
    config,
    cache: env.ACTOR_CACHE,
    now: options.now === undefined ? undefined : () => options.now?.getTime() ?? Date.now(),
  };

  // Mastodon announces deleted accounts to every server it knows. For an actor we never
  // knew there is nothing to undo, and fetching its (gone) key would only cost us.
  const selfDelete = type === "Delete" && idOf(activity.object) === actor;
  const known = selfDelete ? await findActor(db, actor) : undefined;
  if (selfDelete && known === undefined) return { status: 202 };

  // What verification and idempotency need, read at once: the key in KV, and one D1 round
  // trip for the key's row (when KV has not caught up) and the activity, if seen before.
  const [cached, [cachedKey, seen]] = await Promise.all([
    readCachedKey(remote, keyId ?? ""),
    db.batch([
      cachedKeyQuery(db, keyId ?? ""),
      db.select({ followUps: inbox.followUps }).from(inbox).where(eq(inbox.id, id)),
    ]),
  ]);
  const keys = keyResolver(remote, { keyId: keyId ?? "", cached, row: cachedKey[0] });
  const verified = await verifyRequest(
    { method: request.method, url: new URL(request.url), headers: request.headers },
    body,
    { resolveKey: keys.resolveKey, now: options.now?.getTime() },
  );
  if (!verified.ok) {
    // An actor that says it deleted itself, signed with its own key, which is gone: believe
    // it once its own document answers 404 or 410 too (a key anyone names proves nothing).
    if (
      verified.reason === "keyGone" &&
      selfDelete &&
      known !== undefined &&
      keyBelongsTo(verified.keyId, actor) &&
      (await isGone(remote, actor))
    ) {
      await runBatch(db, deleteActorStatements(db, actor));
      const at = options.now?.getTime() ?? Date.now();
      await applyActorChange(env.ACTOR_CACHE, { kind: "gone", id: actor }, at);
      return { status: 202 };
    }
    return { status: 401, error: `signature not accepted: ${verified.reason}` };
  }
  if (verified.owner !== actor) {
    return {
      status: 403,
      error: "keyOwnerMismatch: the signing key does not belong to the activity's actor",
    };
  }
  if (hostOf(id) !== hostOf(actor)) {
    return { status: 403, error: "the activity's id is not on its actor's host" };
  }
  await keys.rememberVerified(actor);

  // The limit per verified host, while the handler reads what it needs (it writes nothing).
  const now = options.now ?? new Date();
  const duplicate = seen[0];
  const [hostLimit, outcome] = await Promise.all([
    env.INBOX_RATE_LIMITER.limit({ key: hostOf(actor) }),
    duplicate === undefined
      ? handleActivity({ db, config, now, activity, id, type, actor })
      : undefined,
  ]);
  if (!hostLimit.success) return TOO_MANY;
  if (outcome === undefined) {
    // Its follow-up messages may not have been sent the first time: send them now.
    if (duplicate?.followUps != null) await sendFollowUps(env, db, id, duplicate.followUps);
    return { status: 202, duplicate: true };
  }

  const record = db.insert(inbox).values({
    id,
    actor: config.urls.owner.id,
    sender: actor,
    type,
    objectId: idOf(activity.object) ?? null,
    payload: new TextDecoder().decode(body),
    createdAt: now,
    processedAt: outcome.pending ? null : now,
    followUps: outcome.messages.length > 0 ? outcome.messages : null,
  });
  try {
    await runBatch(db, [record, ...outcome.statements]);
  } catch (error) {
    // The same activity arriving twice at once: the second batch loses on inbox.id.
    if (
      error instanceof Error &&
      /UNIQUE constraint failed: inbox\.id/.test(String(error.cause ?? error.message))
    ) {
      return { status: 202, duplicate: true };
    }
    throw error;
  }
  if (outcome.actorCache !== undefined) {
    await applyActorChange(env.ACTOR_CACHE, outcome.actorCache, now.getTime());
  }
  if (outcome.messages.length > 0) await sendFollowUps(env, db, id, outcome.messages);
  await startFanouts(env, db, outcome.fanouts);
  return { status: 202 };
}

const TOO_MANY = {
  status: 429,
  error: "too many activities; try again later",
  retryAfter: 60,
} as const;

/**
 * Sends a stored activity's follow-up messages and clears them. A failure is logged, not
 * thrown: the activity is stored, so it is accepted, and the messages stay recorded for a
 * repeated delivery or the sweeper to send.
 */
export async function sendFollowUps(
  env: Env,
  db: Db,
  id: string,
  messages: unknown[],
): Promise<void> {
  try {
    await enqueue(
      env.DELIVERY_QUEUE,
      messages.map((body) => ({ body: body as QueueMessage })),
    );
  } catch (error) {
    console.error(
      `inbox: follow-ups of ${id} not sent yet: ${error instanceof Error ? error.message : "error"}`,
    );
    return;
  }
  await db.update(inbox).set({ followUps: null }).where(eq(inbox.id, id));
}

/** A key id names the actor's own key: `<actor>#...` or `<actor>/...`. */
function keyBelongsTo(keyId: string | undefined, actor: string): boolean {
  if (keyId === undefined) return false;
  const bare = keyId.split("#")[0];
  return bare === actor || (bare?.startsWith(`${actor}/`) ?? false);
}

async function isGone(remote: RemoteContext, actor: string): Promise<boolean> {
  const fetched = await fetchRemote(remote, actor);
  return !fetched.ok && fetched.reason === "gone";
}

/** The key a request claims to be signed with, read before anything is verified. */
function claimedKeyId(headers: Headers): string | undefined {
  const input =
    headers.get("signature-input") ?? headers.get("signature") ?? headers.get("authorization");
  return input?.match(/key[iI]d\s*=\s*"([^"]+)"/)?.[1];
}
