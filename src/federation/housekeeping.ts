/**
 * Periodic housekeeping (the cron trigger): queue messages that an accepted activity could
 * not send at the time are sent now, and deliveries whose retry is long overdue (its
 * message lost) are enqueued again, so that nothing accepted is silently dropped. Rows kept
 * only for a while (idempotency keys, actors we no longer have to do with) are expired.
 * Notes stored before the search index are indexed, a bounded batch a run. Uploaded files
 * no post or profile uses any more are removed from the media bucket. The profile's links
 * not checked for a day are checked again (`recheckProfileLinks`, through the queue).
 */
import { createPlatform, type Platform } from "../context";
import { expireStaleActors } from "../storage/actors";
import { overdueRetries, postponeRetries } from "../storage/deliveries";
import { expireKeys } from "../storage/idempotency";
import { unsentFollowUps } from "../storage/inbox";
import { forgetSweptMedia, sweepableMedia } from "../storage/media";
import { pruneOAuth } from "../storage/oauth";
import { expireMutes } from "../storage/safety";
import { backfillSearchIndex } from "../storage/search";
import { AWAITING_ANSWER, OBJECT_UNREACHABLE } from "./delivery/policy";
import { sweepUnsentFanouts } from "./outbox";
import { recheckProfileLinks } from "./profile-links";
import { sendFollowUps } from "./queue/follow-ups";
import { enqueue } from "./queue/send";

/** Rows younger than this may still be in the middle of sending theirs. */
const GRACE_MS = 5 * 60_000;
const PER_RUN = 100;

type Housekeeping = Pick<Platform, "db" | "queue" | "now" | "hosts">;

/** The time `ms` before now. */
const ago = (ctx: Pick<Platform, "now">, ms: number) => new Date(ctx.now().getTime() - ms);

async function sweepFollowUps(ctx: Housekeeping): Promise<number> {
  const pending = await unsentFollowUps(ctx.db, { before: ago(ctx, GRACE_MS), limit: PER_RUN });
  for (const row of pending) {
    if (row.followUps !== null) await sendFollowUps(ctx, { id: row.id, followUps: row.followUps });
  }
  return pending.length;
}

/** Retries overdue by this much lost their message (queue delays are exact to seconds). */
const OVERDUE_MS = 15 * 60_000;

/** Overdue retries the consumer holds itself: no host's object has them. */
const consumersOwn = new Set<string | null>([OBJECT_UNREACHABLE, AWAITING_ANSWER]);

/**
 * Overdue retries. Those the consumer could not hand to their host's object, or let go of and
 * never heard the end of, go through the queue again; the others are held by their object,
 * which is only woken (sending them through the queue as well could deliver them twice).
 */
async function sweepOverdueRetries(ctx: Housekeeping): Promise<number> {
  const overdue = await overdueRetries(ctx.db, { before: ago(ctx, OVERDUE_MS), limit: PER_RUN });
  if (overdue.length === 0) return 0;
  const lost = overdue.filter((row) => consumersOwn.has(row.lastError));
  const held = [...new Set(overdue.filter((row) => !lost.includes(row)).map((row) => row.host))];
  await Promise.all(held.map((host) => ctx.hosts.get(ctx.hosts.idFromName(host)).wake()));
  await enqueue(
    ctx,
    lost.map((row) => ({
      body: {
        v: 1,
        type: "deliver",
        activityId: row.activityId,
        inboxes: row.inboxes,
      },
    })),
  );
  // Pushed out, so the next sweep does not send them again while they are under way.
  const until = new Date(ctx.now().getTime() + OVERDUE_MS);
  await postponeRetries(ctx.db, { rows: overdue, until });
  return overdue.length;
}

/**
 * How long an `Idempotency-Key` keeps returning the post it made. Mastodon keeps its keys for
 * an hour ("stored for up to 1 hour", its API docs); a day also covers a client that retries
 * after a night offline, and keeps the table to about a day of keyed posts. A key is usable
 * until the first sweep after this, up to one cron interval (15 minutes) longer.
 */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3600_000;
/** Rows deleted per statement, and statements per run: at most 1,000 rows a run. */
const EXPIRE_BATCH = 100;
const EXPIRE_BATCHES_PER_RUN = 10;

/**
 * Deletes the idempotency keys older than the TTL, a bounded batch at a time, so that one
 * run stays short whatever has piled up; what is left goes at the next run.
 */
export async function expireIdempotencyKeys(ctx: Pick<Platform, "db" | "now">): Promise<number> {
  const before = ago(ctx, IDEMPOTENCY_KEY_TTL_MS);
  let expired = 0;
  for (let n = 0; n < EXPIRE_BATCHES_PER_RUN; n++) {
    const gone = await expireKeys(ctx.db, { before, limit: EXPIRE_BATCH });
    expired += gone;
    if (gone < EXPIRE_BATCH) break;
  }
  return expired;
}

/**
 * How long an actor we have no relationship with stays in D1 after it was last fetched. D1
 * keeps the actors that follow, are followed, wrote a stored note, reacted, notified or were
 * mentioned; others come in only through a signature check, and KV answers for them anyway.
 */
export const STALE_ACTOR_MS = 30 * 24 * 3600_000;

/** Deletes, a bounded batch a run, the actors D1 no longer needs (see `STALE_ACTOR_MS`). */
function expireActors(ctx: Pick<Platform, "db" | "now">): Promise<number> {
  return expireStaleActors(ctx.db, { before: ago(ctx, STALE_ACTOR_MS), limit: EXPIRE_BATCH });
}

/** How long an app that never got a token is kept: a sign-in abandoned half-way. */
export const ABANDONED_APP_MS = 24 * 3600_000;
/** Codes outlive their ten minutes by a day, so that a late replay still revokes its token. */
const CODE_KEPT_MS = 24 * 3600_000;

/** Expired sessions, old codes and abandoned apps, a bounded batch of each a run. */
function expireOAuth(ctx: Pick<Platform, "db" | "now">): Promise<void> {
  return pruneOAuth(ctx.db, {
    at: ctx.now(),
    codesBefore: ago(ctx, CODE_KEPT_MS),
    appsBefore: ago(ctx, ABANDONED_APP_MS),
    limit: EXPIRE_BATCH,
  });
}

/** Mutes that have ended: they no longer apply (`authorShown`); their rows go, a batch a run. */
function expireEndedMutes(ctx: Pick<Platform, "db" | "now">): Promise<number> {
  return expireMutes(ctx.db, { now: ctx.now(), limit: EXPIRE_BATCH });
}

/**
 * Notes indexed for search a run. Making a note's text takes some 25 µs of CPU (its HTML
 * read), so a run stays within a few milliseconds: about 19,000 notes a day.
 */
const SEARCH_BACKFILL_PER_RUN = 200;

/**
 * Notes stored before the search index was, indexed a bounded batch a run, newest first
 * (`backfillSearchIndex`); once all are, a run costs one lookup.
 */
export async function indexOldNotes(ctx: Pick<Platform, "db">): Promise<number> {
  const indexed = await backfillSearchIndex(ctx.db, SEARCH_BACKFILL_PER_RUN);
  if (indexed > 0) console.info(`housekeeping: ${indexed} notes added to the search index`);
  return indexed;
}

/**
 * How long an upload may wait to be attached, and a replaced avatar or header stays (a post
 * being written, an app still showing the old picture). Mastodon removes unattached media
 * after a day too (`media_cleanup_scheduler`).
 */
export const UNUSED_MEDIA_MS = 24 * 3600_000;
/**
 * Files removed a run: one D1 statement (100 bound parameters at most: one per file, and the
 * few its conditions take) and one R2 delete (which takes up to 1,000 keys). Every 15
 * minutes, some 8,600 files a day.
 */
export const MEDIA_SWEEP_PER_RUN = 90;

/**
 * Removes what `sweepableMedia` finds, oldest first: the rows, then the objects. A file a note
 * or the profile uses is never found, nor forgotten if a post attached it since; a run stopped
 * between the two leaves objects no row names, which nothing serves a link to.
 */
export async function sweepMedia(ctx: Pick<Platform, "db" | "bucket" | "now">): Promise<number> {
  const before = ago(ctx, UNUSED_MEDIA_MS);
  const unused = await sweepableMedia(ctx.db, before, MEDIA_SWEEP_PER_RUN);
  if (unused.length === 0) return 0;
  // The rows first, each checked again as it goes (a post may have attached one meanwhile):
  // a file is deleted only once nothing can name it.
  const forgotten = await forgetSweptMedia(ctx.db, { seqs: unused.map((row) => row.seq), before });
  if (forgotten.length === 0) return 0;
  try {
    await ctx.bucket.delete(forgotten.map((row) => row.key));
  } catch (error) {
    // The rows are gone: nothing names these objects any more, and nothing will sweep them.
    console.warn(`housekeeping: ${forgotten.length} unused files stay in the bucket: ${error}`);
  }
  return forgotten.length;
}

/** One run of the cron trigger. It needs no configuration: it only moves what is stored. */
export async function handleScheduled(env: Env): Promise<void> {
  const ctx = createPlatform(env);
  const [followUps, retries, fanouts, keys, staleActors, files] = await Promise.all([
    sweepFollowUps(ctx),
    sweepOverdueRetries(ctx),
    sweepUnsentFanouts(ctx, ago(ctx, GRACE_MS)),
    expireIdempotencyKeys(ctx),
    expireActors(ctx),
    sweepMedia(ctx),
    expireOAuth(ctx),
    indexOldNotes(ctx),
    expireEndedMutes(ctx),
    recheckProfileLinks(ctx),
  ]);
  if (followUps + retries + fanouts + keys + staleActors + files > 0) {
    console.info(
      `housekeeping: follow-ups of ${followUps} activities, ${retries} overdue retries, ${fanouts} fan-outs, ${keys} expired idempotency keys, ${staleActors} stale actors, ${files} unused files`,
    );
  }
}
