/**
 * The owner imports a following list (Mastodon's `following_accounts.csv`, or one account a
 * line): the accounts are stored in batches and followed through the queue, one batch a
 * message, a few seconds apart, so that an import of thousands does not flood other servers
 * nor spend one invocation's subrequests. Each account is resolved by WebFinger (one request,
 * and one for its actor, unless known), skipped when it is the owner or already followed or
 * asked, and followed as the follow button follows (`followStatements`): its `Follow` is
 * fanned out and delivered as any. A batch is claimed, then done once: its follows and its
 * outcomes are stored in one D1 batch, so a redelivered message follows no one twice.
 */
import type { Handle } from "../activitypub/compose";
import type { AppContext } from "../context";
import { pool } from "../lib/pool";
import { runBatch } from "../storage/db";
import { findFollow } from "../storage/follows";
import {
  claimBatch,
  createImport,
  deleteImport,
  finishBatchStatements,
  finishImport,
  remainingOf,
  stopImport,
} from "../storage/imports";
import { isKeptAway } from "../storage/safety";
import type { ActorRow } from "../storage/schema";
import type { AccountImportRow, ImportOutcome, ImportRow } from "../storage/schema-imports";
import { CONNECTIONS } from "./delivery/policy";
import { commitFollows, followStatements } from "./publish/follows";
import type { ImportFollowsMessage } from "./queue/messages";
import { enqueue } from "./queue/send";
import { parseHandle, type ResolveFailure, resolveHandle } from "./resolve";

/**
 * Accounts a queue message follows. Each costs up to two requests to other servers
 * (WebFinger, the actor), so a batch makes at most 20 of the free plan's 50 external
 * subrequests; its D1, KV and queue calls (a handful an account) count towards the 1,000 a
 * Worker may make to Cloudflare's own services.
 */
export const IMPORT_BATCH_SIZE = 10;
/** Seconds between two batches of an import: about two accounts a second at most. */
export const IMPORT_PACE_SECONDS = 5;
/**
 * How long a claimed batch is its consumer's: the longest a queue consumer may run (15
 * minutes of wall time). A batch claimed longer ago was left by a consumer that died.
 */
export const CLAIM_LEASE_MS = 15 * 60 * 1000;
/**
 * Claims of a batch before its rows are recorded failed: a batch whose consumer keeps dying
 * (out of CPU, say) would otherwise be claimed again every `CLAIM_LEASE_MS`, for ever.
 */
export const MAX_BATCH_CLAIMS = 3;

export type StartImport =
  | { readonly ok: true; readonly import: AccountImportRow }
  | { readonly ok: false; readonly reason: "anotherRunning" | "notQueued"; readonly error: string };

/**
 * Stores an import of accounts to follow and queues its first batch. One import runs at a
 * time: two at once would each find an account not followed yet, and follow it twice. An
 * import the queue refused is not kept (the owner is told to try again): nothing would ever
 * follow it.
 */
export async function startImport(
  ctx: Pick<AppContext, "db" | "queue" | "now">,
  accounts: { readonly rows: readonly ImportRow[]; readonly duplicates: number },
): Promise<StartImport> {
  const created = await createImport(ctx.db, {
    type: "following",
    rows: accounts.rows,
    duplicates: accounts.duplicates,
    batchSize: IMPORT_BATCH_SIZE,
    at: ctx.now(),
  });
  if (!created.ok) {
    const error = "another import is running; wait until it has finished";
    return { ok: false, reason: created.reason, error };
  }
  const stored = created.import;
  try {
    await enqueue(ctx, [{ body: { v: 1, type: "importFollows", importId: stored.seq } }]);
  } catch (error) {
    console.error(`import: not queued: ${error instanceof Error ? error.message : "error"}`);
    await deleteImport(ctx.db, stored.seq);
    return { ok: false, reason: "notQueued", error: "the import could not be queued; try again" };
  }
  return { ok: true, import: stored };
}

/** What to do with one row: its outcome, and the actor to follow when there is one. */
interface Decision {
  readonly outcome: ImportOutcome;
  readonly follow?: ActorRow;
}

const outcome = (row: ImportRow, result: ImportOutcome["result"], reason?: string): Decision => ({
  outcome: reason === undefined ? { ...row, result } : { ...row, result, reason },
});

/**
 * Resolves a row's account and says whether to follow it. An error of one row (a bug, D1
 * failing a read) records that row failed, rather than failing the whole batch each time
 * it is retried.
 */
async function decide(ctx: AppContext, row: ImportRow): Promise<Decision> {
  try {
    return await decideRow(ctx, row);
  } catch (error) {
    console.error(`import: line ${row.line}: ${error instanceof Error ? error.message : "error"}`);
    return outcome(row, "failed", "an error occurred; import it again later");
  }
}

/** Why an account was not resolved, as the import tells the owner. */
const UNRESOLVED: Readonly<Record<ResolveFailure, string>> = {
  notFound: "account not found",
  failed: "account could not be fetched (its server did not answer); import it again later",
};

async function decideRow(ctx: AppContext, row: ImportRow): Promise<Decision> {
  const { db, config } = ctx;
  const handle: Handle | undefined = parseHandle(row.handle);
  if (handle === undefined) return outcome(row, "failed", "not an account address");
  if (handle.host === config.host) {
    return handle.username.toLowerCase() === config.owner.username.toLowerCase()
      ? outcome(row, "skipped", "yourself")
      : outcome(row, "failed", "no such account on this instance");
  }
  // Nothing is fetched from a blocked domain.
  if (await isKeptAway(db, { domain: handle.host })) {
    return outcome(row, "failed", "the domain is blocked");
  }
  const resolved = await resolveHandle(ctx, handle);
  if (!resolved.ok) return outcome(row, "failed", UNRESOLVED[resolved.reason]);
  const actor = resolved.actor;
  const owner = config.urls.owner.id;
  if (actor.id === owner) return outcome(row, "skipped", "yourself");
  if (await isKeptAway(db, { actor: actor.id, domain: actor.domain })) {
    return outcome(row, "failed", "the account is blocked");
  }
  const edge = await findFollow(db, { actor: actor.id, follower: owner });
  if (edge !== undefined) {
    return outcome(
      row,
      "skipped",
      edge.state === "accepted" ? "already followed" : "already requested",
    );
  }
  return { ...outcome(row, "followed"), follow: actor };
}

/**
 * One message of an import: claims its next batch, follows what the batch names, stores
 * the outcomes with the follows, and queues what comes next. Throws only when D1 or the
 * queue does (the message is then retried; a batch claimed meanwhile waits out its claim).
 */
export async function importFollows(ctx: AppContext, message: ImportFollowsMessage): Promise<void> {
  const { db } = ctx;
  const now = ctx.now();
  const token = crypto.randomUUID();
  const batch = await claimBatch(db, {
    importSeq: message.importId,
    token,
    now,
    staleBefore: new Date(now.getTime() - CLAIM_LEASE_MS),
  });
  if (batch !== undefined && batch.attempts > MAX_BATCH_CLAIMS) {
    const reason = `not processed after ${MAX_BATCH_CLAIMS} tries`;
    const outcomes = batch.rows.map((row) => outcome(row, "failed", reason).outcome);
    await runBatch(db, finishBatchStatements(db, { batch, token, outcomes }));
  } else if (batch !== undefined) {
    const decisions = await pool(batch.rows, CONNECTIONS, (row) => decide(ctx, row));
    // Two rows may name one actor (an old handle and a new one): it is followed once.
    const targets = new Map<string, { actor: ActorRow; line: number }>();
    const outcomes = decisions.map(({ outcome: o, follow }): ImportOutcome => {
      if (follow === undefined) return o;
      const first = targets.get(follow.id);
      if (first !== undefined) {
        return { ...o, result: "skipped", reason: `the same account as line ${first.line}` };
      }
      targets.set(follow.id, { actor: follow, line: o.line });
      return o;
    });
    const follows = followsOf(
      ctx,
      [...targets.values()].map((t) => t.actor),
      now,
    );
    await commitFollows(ctx, follows, finishBatchStatements(db, { batch, token, outcomes }));
  }
  await continueImport(ctx, message.importId);
}

/** The follows of a batch, each with an activity id of its own (ids have 16 random bits). */
function followsOf(ctx: AppContext, targets: readonly ActorRow[], now: Date) {
  const ids = new Set<string>();
  return targets.map((target) => {
    for (;;) {
      const follow = followStatements(ctx, target, now);
      if (ids.has(follow.activityId)) continue;
      ids.add(follow.activityId);
      return follow;
    }
  });
}

/**
 * What comes after a batch: the next one, a few seconds later; a look again once the oldest
 * claim held elsewhere has run out (its consumer may have died); or, with nothing left, the
 * import is finished. Nothing, once the import was stopped.
 */
async function continueImport(ctx: AppContext, importSeq: number): Promise<void> {
  const remaining = await remainingOf(ctx.db, importSeq);
  // A stopped import stops: no message follows it any more.
  if (!remaining.running) return;
  const next: ImportFollowsMessage = { v: 1, type: "importFollows", importId: importSeq };
  if (remaining.pending) {
    await enqueue(ctx, [{ body: next, delaySeconds: IMPORT_PACE_SECONDS }]);
  } else if (remaining.oldestClaim !== undefined) {
    const ends = remaining.oldestClaim.getTime() + CLAIM_LEASE_MS - ctx.now().getTime();
    const delaySeconds = Math.max(IMPORT_PACE_SECONDS, Math.ceil(ends / 1000) + 1);
    await enqueue(ctx, [{ body: next, delaySeconds }]);
  } else {
    await finishImport(ctx.db, importSeq, ctx.now());
  }
}

/** An import whose message used up its retries: stopped, saying so. */
export async function giveUpImport(
  ctx: Pick<AppContext, "db" | "now">,
  message: ImportFollowsMessage,
  attempts: number,
): Promise<void> {
  await stopImport(ctx.db, {
    seq: message.importId,
    error: `the queue gave up after ${attempts} attempt${attempts === 1 ? "" : "s"}`,
    at: ctx.now(),
  });
}
