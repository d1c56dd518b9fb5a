/**
 * One run of a host's object over what it holds: up to `HELD_PER_RUN` deliveries sent one
 * after the other, earliest published first, while the host answers; the first failure stops
 * the run and sets when the next may start. What happened is written to D1's delivery
 * records (per activity, at the end of the run) before the held rows change, so that a run
 * cut short sends again rather than forgets.
 */
import type { AppContext } from "../context";
import {
  contactOf,
  DELIVERY_TIMEOUT_MS,
  type DeliveryOutcome,
  describeOutcome,
  HELD_PER_RUN,
  type HostRecord,
  isFinal,
  isOpen,
  type JudgeOptions,
  judgeAnswer,
  MAX_ATTEMPTS,
} from "../federation/delivery/policy";
import {
  deliverKnocking,
  type PreparedActivity,
  prepareActivity,
} from "../federation/delivery/send";
import type { SignatureFlavour } from "../signatures/verify";
import { runBatch } from "../storage/db";
import {
  clearFailuresStatement,
  type FailureRecord,
  failureStatements,
} from "../storage/deliveries";
import { hostContactStatements } from "../storage/hosts";
import { loadSigningKey, privateKeyQuery } from "../storage/local-actors";
import { outboxActivitiesQuery } from "../storage/outbox";
import type { Held, HeldRow } from "./parked";

export interface HeldRun {
  readonly host: string;
  readonly held: Held;
  readonly record: HostRecord;
  readonly flavour: SignatureFlavour;
  readonly judging: () => JudgeOptions;
}

export interface RunResult {
  readonly record: HostRecord;
  /** Whether the host answered slower than the consumer waits; unknown when it did not answer. */
  readonly slow?: boolean;
  /** The flavour the host took, when it is not the one it was asked with. */
  readonly flavour?: SignatureFlavour;
}

type Step =
  | { readonly row: HeldRow; readonly done: "delivered" }
  | { readonly row: HeldRow; readonly done: "failed"; readonly error: string }
  | { readonly row: HeldRow; readonly done: "again"; readonly error: string };

export async function sendHeld(ctx: AppContext, run: HeldRun): Promise<RunResult> {
  const rows = run.held.next(HELD_PER_RUN);
  const activities = await load(ctx, rows);
  let { record } = run;
  let flavour = run.flavour;
  let learned: SignatureFlavour | undefined;
  let slow: boolean | undefined;
  const steps: Step[] = [];
  const answers: DeliveryOutcome[] = [];
  for (const row of rows) {
    const activity = activities.payloads.get(row.activity_id);
    if (activity === undefined) {
      steps.push({ row, done: "failed", error: "the activity is no longer stored" });
      continue;
    }
    const sent = await deliverKnocking(ctx, row.inbox, {
      activity,
      key: activities.key,
      flavour,
      timeoutMs: DELIVERY_TIMEOUT_MS,
    });
    const { outcome } = sent;
    answers.push(outcome);
    if (sent.worked !== undefined) learned = flavour = sent.worked;
    record = judgeAnswer(record, outcome, run.judging());
    // Any answer of the host's own says how fast it is (a refusal too).
    if (isFinal(outcome)) slow = sent.slow;
    if (outcome.kind === "delivered") {
      steps.push({ row, done: "delivered" });
      continue;
    }
    if (isFinal(outcome)) {
      steps.push({ row, done: "failed", error: describeOutcome(outcome) });
      continue;
    }
    // Not now: the host is failing, or asked to wait. What is left waits with this one.
    const attempts = row.attempts + 1;
    const error = describeOutcome(outcome);
    steps.push(
      outcome.kind === "retry" && attempts >= MAX_ATTEMPTS
        ? { row, done: "failed", error: `gave up after ${attempts} attempts: ${error}` }
        : { row, done: "again", error },
    );
    break;
  }
  await report(ctx, { run, steps, record, contact: contactOf(answers) });
  return { record, slow, flavour: learned };
}

async function load(ctx: AppContext, rows: readonly HeldRow[]) {
  const ids = [...new Set(rows.map((r) => r.activity_id))];
  const { db, config } = ctx;
  const [stored, keys] = await db.batch([
    outboxActivitiesQuery(db, ids),
    privateKeyQuery(db, "owner"),
  ]);
  const key = await loadSigningKey(db, {
    role: "owner",
    keyId: config.urls.owner.keyId,
    now: ctx.now(),
    known: keys[0],
  });
  const payloads = new Map<string, PreparedActivity>();
  for (const row of stored) payloads.set(row.id, await prepareActivity(row.payload));
  return { key, payloads };
}

/** Where an activity stands once this run's steps are counted in. */
function standingAfter(held: Held, id: string, steps: readonly Step[]) {
  const mine = steps.filter((s) => s.row.activity_id === id);
  const settled = new Set(mine.filter((s) => s.done !== "again").map((s) => s.row.inbox));
  const standing = held.standing(id);
  const failed = [...standing.failed];
  for (const s of mine)
    if (s.done === "failed") failed.push({ inbox: s.row.inbox, error: s.error });
  const again = mine.find((s) => s.done === "again");
  return {
    pending: standing.pending.filter((inbox) => !settled.has(inbox)),
    failed,
    error: again?.done === "again" ? again.error : "waiting for earlier deliveries to the host",
  };
}

/**
 * The run's outcome, in D1 first, then in the held rows: per activity, what is still held is
 * retrying (or parked, circuit open); once nothing is, it is failed where an inbox refused,
 * and otherwise delivered (its record goes).
 */
async function report(
  ctx: AppContext,
  input: {
    run: HeldRun;
    steps: readonly Step[];
    record: HostRecord;
    contact: "reached" | "gone" | undefined;
  },
): Promise<void> {
  const { run, steps, record, contact } = input;
  const { held, host } = run;
  const now = ctx.now();
  // When the circuit opens or closes, every held activity's record says so, not only the tried.
  const flipped = isOpen(run.record) !== isOpen(record);
  const touched = [
    ...new Set([...steps.map((s) => s.row.activity_id), ...(flipped ? held.activities() : [])]),
  ];
  const records: FailureRecord[] = [];
  const reached: string[] = [];
  for (const activityId of touched) {
    const { pending, failed, error } = standingAfter(held, activityId, steps);
    if (pending.length > 0) {
      const state = isOpen(record) ? "parked" : "retrying";
      const nextAttemptAt = record.retryAt ?? now;
      records.push({ activityId, host, state, inboxes: pending, error, nextAttemptAt });
    } else if (failed.length > 0) {
      const inboxes = failed.map((f) => f.inbox);
      records.push({ activityId, host, state: "failed", inboxes, error: failed[0]?.error });
    } else {
      reached.push(activityId);
    }
  }
  const contacts = {
    reached: contact === "reached" ? [host] : [],
    gone: contact === "gone" ? [host] : [],
    now,
  };
  await runBatch(ctx.db, [
    ...failureStatements(ctx.db, { records, now }),
    ...hostContactStatements(ctx.db, contacts),
    ...reached.map((activityId) => clearFailuresStatement(ctx.db, { activityId, hosts: [host] })),
  ]);
  for (const step of steps) {
    if (step.done === "delivered") held.delivered(step.row.seq);
    else if (step.done === "failed") held.failed(step.row.seq, step.error);
    else held.tried(step.row.seq);
  }
  for (const activityId of touched) {
    if (held.standing(activityId).pending.length === 0) held.forget(activityId);
  }
}
