/**
 * One delivery message: a stored activity POSTed to its inboxes, host by host, and what
 * became of each host recorded. This is the fast path, for hosts that answer: a host the
 * `host_states` mirror does not list (or lists as healthy) is sent to at once, its inboxes one
 * after the other. The first that fails, asks to wait, does not answer in time or answers
 * slower than `FAST_PATH_TIMEOUT_MS` stops the host's share, and what is left of it is handed
 * to the host's `HostState` object, which sends it from then on; so is the share of every
 * host the mirror lists as failing or slow, without a POST. Healthy hosts cost no object call.
 *
 * The message does not wait for its slowest host either (`LET_GO`): once the others are done
 * and a straggler has had a few times as long as they took, the message is recorded and
 * acknowledged, and the straggler goes on after it (the invocation's `waitUntil`), under a
 * record the housekeeping would send again were that lost.
 */
import { hostOf } from "../../activitypub/parse";
import type { AppContext } from "../../context";
import { gather } from "../../lib/stragglers";
import { recorder } from "../../metrics/recorder";
import type { SigningKey } from "../../signatures/sign";
import type { SignatureFlavour } from "../../signatures/verify";
import { runBatch } from "../../storage/db";
import {
  awaitingStatements,
  batchDoneStatement,
  batchStateQuery,
  clearAwaitingStatement,
  clearFailuresStatement,
  type FailureRecord,
  failureStatements,
} from "../../storage/deliveries";
import { hostContactStatements, listedHostsQuery } from "../../storage/hosts";
import { loadSigningKey, privateKeyQuery } from "../../storage/local-actors";
import { outboxActivityQuery } from "../../storage/outbox";
import type { HostStateRow } from "../../storage/schema";
import type { Background } from "../../streaming/stream";
import type { DeliverMessage } from "../queue/messages";
import {
  AWAITING_ANSWER,
  CONNECTIONS,
  contactOf,
  DELIVERY_TIMEOUT_MS,
  type DeliveryOutcome,
  describeOutcome,
  isFinal,
  LET_GO,
  OBJECT_UNREACHABLE,
} from "./policy";
import { deliverKnocking, type PreparedActivity, prepareActivity } from "./send";

/** What happened at one host. */
interface HostResult {
  readonly host: string;
  /** The answers the consumer got and is done with (delivered, or refused for good). */
  readonly answered: readonly DeliveryOutcome[];
  /**
   * The rest was handed to the host's object, which records it (it may be done with it
   * before this message is); or, when the object could not be reached, the record to write.
   */
  readonly handedOver?: FailureRecord | "recorded";
}

interface HostDelivery {
  readonly host: string;
  readonly inboxes: readonly string[];
  /** The host's row in the mirror, if it is listed. */
  readonly listed: HostStateRow | undefined;
  readonly activitySeq: number;
  readonly activity: PreparedActivity;
  readonly key: SigningKey;
  /** Passed before handing over: after the message let go, once what it recorded is written. */
  readonly handOver: Gate;
}

/**
 * Closed when the message lets go of its stragglers, open again once its record of them is
 * written: a straggler's object, which records what it is handed, writes after that record.
 */
class Gate {
  #closed = false;
  #open: () => void = () => undefined;
  readonly #opened = new Promise<void>((resolve) => {
    this.#open = resolve;
  });
  close(): void {
    this.#closed = true;
  }
  /** Whether the message has let go of its stragglers. */
  get letGo(): boolean {
    return this.#closed;
  }
  open(): void {
    this.#open();
  }
  async pass(): Promise<void> {
    if (this.#closed) await this.#opened;
  }
}

/** How long a host's share waits, as a retry, when its object could not be reached. */
const OBJECT_UNREACHABLE_RETRY_MS = 60_000;

export async function deliver(
  ctx: AppContext & Background,
  message: DeliverMessage,
): Promise<void> {
  const { db, config } = ctx;
  const hosts = [...Map.groupBy(message.inboxes, hostOf)];
  // Everything to read, in one round trip.
  const [batches, stored, listed, keys] = await db.batch([
    batchStateQuery(db, message.batchId),
    outboxActivityQuery(db, message.activityId),
    listedHostsQuery(
      db,
      hosts.map(([host]) => host),
    ),
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
  const handOver = new Gate();
  const { done, late } = await gather(
    hosts,
    ([host, inboxes]) =>
      deliverToHost(ctx, message, {
        host,
        inboxes,
        listed: mirror.get(host),
        activitySeq: row.seq,
        activity,
        key,
        handOver,
      }),
    { ...LET_GO, limit: CONNECTIONS, onLetGo: () => handOver.close() },
  );
  const awaiting = [...late.keys()].map((i) => hosts[i] as [string, string[]]);
  let settled = false;
  try {
    await settle(ctx, message, { results: [...done.values()], awaiting, batchDone: true });
    settled = true;
  } finally {
    handOver.open();
    if (late.size > 0) {
      // Unrecorded (the message is retried whole), the stragglers are still watched to the end.
      const ends = [...late.values()];
      ctx.waitUntil(
        settled ? settleLate(ctx, message, { ends, awaiting }) : Promise.allSettled(ends),
      );
    }
  }
}

/**
 * The stragglers' ends, recorded together once all are known. One that failed unexpectedly
 * keeps the record written when the message let go of it: the housekeeping sends it again.
 */
async function settleLate(
  ctx: AppContext,
  message: DeliverMessage,
  late: { ends: readonly Promise<HostResult>[]; awaiting: Settlement["awaiting"] },
): Promise<void> {
  const ends = await Promise.allSettled(late.ends);
  const results: HostResult[] = [];
  for (const end of ends) {
    if (end.status === "fulfilled") results.push(end.value);
    else
      console.error(`deliver: a late host of ${message.activityId} failed: ${String(end.reason)}`);
  }
  // A host handed to its object after the message let go: the object may have recorded and
  // even delivered it before the message's record was written; that record is then stale, and
  // goes (one the object wrote since, or another message's, says something else, and stays).
  const handedOver = new Set(results.filter((r) => r.handedOver === "recorded").map((r) => r.host));
  const stale = late.awaiting.filter(([host]) => handedOver.has(host));
  try {
    await settle(ctx, message, { results, awaiting: [], batchDone: false, stale });
  } catch (error) {
    console.error(`deliver: late hosts of ${message.activityId} not recorded: ${String(error)}`);
  }
}

/** Sends to one host's inboxes until one does not go through; hands the rest to its object. */
async function deliverToHost(
  ctx: AppContext,
  message: DeliverMessage,
  delivery: HostDelivery,
): Promise<HostResult> {
  const { host, inboxes, listed } = delivery;
  const outcomes: DeliveryOutcome[] = [];
  let worked: SignatureFlavour | undefined;
  let slow = false;
  // A listed host that is not healthy is its object's to send to.
  if (listed === undefined || listed.state === "healthy") {
    for (const inbox of inboxes) {
      // Let go of: one POST at a time after the message, the rest is the host's object's.
      if (outcomes.length > 0 && delivery.handOver.letGo) break;
      const sent = await deliverKnocking(ctx, inbox, {
        activity: delivery.activity,
        key: delivery.key,
        flavour: worked ?? listed?.flavour ?? "cavage",
        timeoutMs: DELIVERY_TIMEOUT_MS,
      });
      worked ??= sent.worked;
      outcomes.push(sent.outcome);
      if (!isFinal(sent.outcome)) break;
      // Answered, but slowly: the rest goes to the host's object, which serves slow hosts.
      slow = sent.slow;
      if (slow) break;
    }
  }
  const answered = outcomes.filter(isFinal);
  const left = inboxes.slice(answered.length);
  const r = recorder();
  const stub = () => ctx.hosts.get(ctx.hosts.idFromName(host));
  if (left.length === 0) {
    // A flavour learned, or a host slower than the consumer's patience (its object serves it).
    if (worked !== undefined || slow) {
      r.inc("outpost_do_calls_total", { method: "remember" });
      // Only that is lost if this fails (the next answer says it again), not the delivery.
      await stub()
        .remember({ host, flavour: worked, slow: slow || undefined })
        .catch((error: unknown) => console.warn(`deliver: ${host} not remembered: ${error}`));
    }
    return { host, answered };
  }
  await delivery.handOver.pass();
  r.inc("outpost_do_calls_total", { method: "hold" });
  try {
    const holding = await stub().hold({
      host,
      activityId: message.activityId,
      activitySeq: delivery.activitySeq,
      inboxes: left,
      outcomes,
      flavour: worked,
      slow,
    });
    if (holding.state === "parked") {
      r.inc("activitypub_deliveries_total", { result: "parked" }, left.length);
    }
    return { host, answered, handedOver: "recorded" };
  } catch (cause) {
    // Recorded as retrying: the housekeeping sends an overdue retry again.
    console.error(`deliver: host object for ${host} unreachable: ${String(cause)}`);
    const nextAttemptAt = new Date(ctx.now().getTime() + OBJECT_UNREACHABLE_RETRY_MS);
    const record: FailureRecord = {
      activityId: message.activityId,
      host,
      state: "retrying",
      inboxes: left,
      error: OBJECT_UNREACHABLE,
      nextAttemptAt,
    };
    return { host, answered, handedOver: record };
  }
}

/** What a message records: its hosts' ends, the stragglers it let go of, and whether it is done. */
interface Settlement {
  readonly results: readonly HostResult[];
  /** Hosts still sending (host, inboxes), recorded as under way until they end. */
  readonly awaiting: readonly (readonly [string, readonly string[]])[];
  readonly batchDone: boolean;
  /** Hosts (host, inboxes) whose record, if still the awaiting one, is out of date. */
  readonly stale?: Settlement["awaiting"];
}

/** Records what happened: reached hosts, hosts that refused, hosts handed over or still sending. */
async function settle(
  ctx: AppContext,
  message: DeliverMessage,
  { results, awaiting, batchDone, stale = [] }: Settlement,
): Promise<void> {
  const { db } = ctx;
  const now = ctx.now();
  const records: FailureRecord[] = [];
  const reached: string[] = [];
  const contacts = { reached: [] as string[], gone: [] as string[], now };
  for (const { host, answered, handedOver } of results) {
    const contact = contactOf(answered);
    // What is handed over is the host's object's to tell: only a success is said here.
    if (contact === "reached" || (contact === "gone" && handedOver === undefined)) {
      contacts[contact].push(host);
    }
    const base = { activityId: message.activityId, host };
    const refused = answered.filter((o) => o.kind !== "delivered");
    if (handedOver === "recorded") continue;
    if (handedOver !== undefined) {
      records.push(handedOver);
    } else if (refused.length > 0) {
      const error = describeOutcome(refused[0] as DeliveryOutcome);
      records.push({ ...base, state: "failed", inboxes: refused.map((o) => o.inbox), error });
    } else {
      reached.push(host);
    }
  }
  const { activityId, batchId } = message;
  await runBatch(db, [
    ...awaitingStatements(db, { activityId, hosts: awaiting, error: AWAITING_ANSWER, now }),
    ...stale.map(([host, inboxes]) =>
      clearAwaitingStatement(db, { activityId, host, inboxes, error: AWAITING_ANSWER }),
    ),
    ...failureStatements(db, { records, now }),
    ...hostContactStatements(db, contacts),
    ...(reached.length > 0 ? [clearFailuresStatement(db, { activityId, hosts: reached })] : []),
    ...(batchDone && batchId !== undefined ? [batchDoneStatement(db, { batchId, at: now })] : []),
  ]);
}
