/**
 * One delivery message: a stored activity POSTed to its inboxes, host by host, and what
 * became of each host recorded. A host the `host_states` mirror does not list is healthy:
 * its inboxes are sent to at once, and its `HostState` object hears only of a failure or a
 * change of flavour. A listed host (failing, down, or RFC 9421 first) is asked before, and
 * told after, as is every probe. What to make of the answers is the policy's (`policy.ts`).
 */
import { hostOf } from "../../activitypub/parse";
import type { AppContext } from "../../context";
import type { ReportAnswer } from "../../hosts/host-state";
import { pool } from "../../lib/pool";
import { recorder } from "../../metrics/recorder";
import type { SignatureFlavour } from "../../signatures/verify";
import { runBatch } from "../../storage/db";
import {
  batchDoneStatement,
  batchStateQuery,
  clearFailuresStatement,
  type FailureRecord,
  failureStatements,
} from "../../storage/deliveries";
import { listedHostsQuery } from "../../storage/hosts";
import { loadSigningKey, privateKeyQuery } from "../../storage/local-actors";
import { outboxActivityQuery } from "../../storage/outbox";
import type { HostStateRow } from "../../storage/schema";
import type { DeliverMessage } from "../queue/messages";
import { enqueue, type Outgoing } from "../queue/send";
import { CONNECTIONS, type DeliveryOutcome, isFinal, settleHost } from "./policy";
import { deliverKnocking, prepareActivity, type SendOptions } from "./send";

/** What happened at one host. */
interface HostResult {
  readonly host: string;
  readonly inboxes: readonly string[];
  readonly outcomes: readonly DeliveryOutcome[];
  /** What the host's object said to do with what failed; none when it was not asked. */
  readonly verdict?: ReportAnswer;
  /** When the host's object parked the deliveries without sending. */
  readonly parkedUntil?: Date;
}

interface HostDelivery {
  readonly host: string;
  readonly inboxes: readonly string[];
  /** The host's row in the mirror, if it is listed. */
  readonly listed: HostStateRow | undefined;
  readonly activitySeq: number;
  readonly send: Omit<SendOptions, "flavour">;
}

export async function deliver(ctx: AppContext, message: DeliverMessage): Promise<void> {
  const { db, config } = ctx;
  const byHost = Map.groupBy(message.inboxes, hostOf);
  // Everything to read, in one round trip.
  const [batches, stored, listed, keys] = await db.batch([
    batchStateQuery(db, message.batchId),
    outboxActivityQuery(db, message.activityId),
    listedHostsQuery(db, [...byHost.keys()]),
    privateKeyQuery(db, "owner"),
  ]);
  // A redelivered message whose batch is done has reached its inboxes already.
  if (batches[0]?.state === "done") return;
  const [row] = stored;
  if (row === undefined) {
    console.warn(`deliver: no activity ${message.activityId}; nothing to send`);
    return;
  }
  const [activity, key] = await Promise.all([
    prepareActivity(row.payload),
    loadSigningKey(db, {
      role: "owner",
      keyId: config.urls.owner.keyId,
      now: ctx.now(),
      known: keys[0],
    }),
  ]);
  const mirror = new Map(listed.map((s) => [s.host, s]));
  const results = await pool([...byHost], CONNECTIONS, ([host, inboxes]) =>
    deliverToHost(ctx, message, {
      host,
      inboxes,
      listed: mirror.get(host),
      activitySeq: row.seq,
      send: { activity, key },
    }),
  );
  await settle(ctx, message, results);
}

/** Sends to one host's inboxes, one after the other, asking and telling its object as needed. */
async function deliverToHost(
  ctx: AppContext,
  message: DeliverMessage,
  delivery: HostDelivery,
): Promise<HostResult> {
  const { host, inboxes, listed } = delivery;
  const r = recorder();
  const consult = listed !== undefined || message.probe === true;
  const stub = () => ctx.hosts.get(ctx.hosts.idFromName(host));
  const about = { host, activityId: message.activityId, activitySeq: delivery.activitySeq };
  let flavour: SignatureFlavour = listed?.flavour ?? "cavage";
  if (consult) {
    r.inc("outpost_do_calls_total", { method: "admit" });
    const admission = await stub().admit({ ...about, inboxes, probe: message.probe });
    if (!admission.send) {
      r.inc("activitypub_deliveries_total", { result: "parked" }, inboxes.length);
      // A Date; a number from an object of the previous release, during a deploy.
      return { host, inboxes, outcomes: [], parkedUntil: new Date(admission.nextAttemptAt) };
    }
    flavour = admission.flavour;
  }
  const outcomes: DeliveryOutcome[] = [];
  let worked: SignatureFlavour | undefined;
  for (const inbox of inboxes) {
    const sent = await deliverKnocking(ctx, inbox, {
      ...delivery.send,
      flavour: worked ?? flavour,
    });
    worked ??= sent.worked;
    outcomes.push(sent.outcome);
  }
  if (!consult && outcomes.every(isFinal) && worked === undefined) {
    return { host, inboxes, outcomes };
  }
  r.inc("outpost_do_calls_total", { method: "report" });
  const verdict = await stub().reportOutcomes({ ...about, outcomes, flavour: worked });
  return { host, inboxes, outcomes, verdict };
}

const NOTHING_LEFT: ReportAnswer = {
  retry: { inboxes: [], delaySeconds: 0 },
  park: { inboxes: [], wakeAt: null },
};

/** Records what happened, and sends the inboxes worth another try on their own. */
async function settle(
  ctx: AppContext,
  message: DeliverMessage,
  results: readonly HostResult[],
): Promise<void> {
  const { db } = ctx;
  const now = ctx.now();
  const attempt = message.attempt ?? 1;
  const records: FailureRecord[] = [];
  const reached: string[] = [];
  const again: Outgoing[] = [];
  for (const { host, outcomes, verdict, parkedUntil, inboxes } of results) {
    const base = { activityId: message.activityId, host };
    if (parkedUntil !== undefined) {
      records.push({
        ...base,
        state: "parked",
        inboxes,
        error: "host unavailable",
        nextAttemptAt: parkedUntil,
      });
      continue;
    }
    const settled = settleHost(outcomes, verdict ?? NOTHING_LEFT, attempt);
    if (settled.state === "reached") {
      reached.push(host);
    } else if (settled.state === "retrying") {
      const { delaySeconds, inboxes: left, error } = settled;
      const nextAttemptAt = new Date(now.getTime() + delaySeconds * 1000);
      records.push({ ...base, state: "retrying", inboxes: left, error, nextAttemptAt });
      again.push({
        body: {
          v: 1,
          type: "deliver",
          activityId: message.activityId,
          inboxes: [...left],
          attempt: attempt + 1,
        },
        delaySeconds,
      });
    } else {
      // Parked: tried again when the host's object next probes it.
      const nextAttemptAt = settled.state === "parked" ? verdict?.park.wakeAt : undefined;
      records.push({ ...base, ...settled, nextAttemptAt: nextAttemptAt ?? undefined });
    }
  }
  // The record first: if the retries below cannot be sent, the housekeeping finds them overdue.
  await runBatch(db, [
    ...failureStatements(db, { records, now }),
    ...(reached.length > 0
      ? [clearFailuresStatement(db, { activityId: message.activityId, hosts: reached })]
      : []),
    ...(message.batchId === undefined
      ? []
      : [batchDoneStatement(db, { batchId: message.batchId, at: now })]),
  ]);
  await enqueue(ctx, again);
}
