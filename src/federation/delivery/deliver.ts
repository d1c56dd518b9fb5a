/**
 * One delivery message: a stored activity POSTed to its inboxes, host by host, and what
 * became of each host recorded. This is the fast path, for hosts that answer: a host the
 * `host_states` mirror does not list (or lists as healthy) is sent to at once, all its inboxes
 * side by side (a message holds at most six, one invocation's connections). Those that fail,
 * ask to wait or do not answer in time are handed to the host's `HostState` object, which
 * sends them from then on; so is the share of every host the mirror lists as failing or slow,
 * without a POST. A host that answered slower than `FAST_PATH_TIMEOUT_MS` is remembered as
 * slow: its object serves it next time. Healthy hosts cost no object call.
 *
 * The message does not wait for its slowest host either (`LET_GO`): once the others are done
 * and a straggler has had a few times as long as they took, the message is recorded and
 * acknowledged, and the straggler goes on after it (the invocation's `waitUntil`), under a
 * record the housekeeping would send again were that lost.
 */
import { hostOf } from "../../activitypub/parse";
import type { AppContext } from "../../context";
import { limited } from "../../lib/pool";
import { gather } from "../../lib/stragglers";
import { recorder } from "../../metrics/recorder";
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
  worstFailure,
} from "./policy";
import { deliverKnocking, type Knocked, prepareActivity } from "./send";

/** What happened at one host. */
interface HostResult {
  readonly host: string;
  /** The answers the consumer got and is done with (delivered, or refused for good). */
  readonly answered: readonly DeliveryOutcome[];
  /**
   * What failed was handed to the host's object, which records it (it may be done with it
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
  /** One POST (`deliverKnocking`), at most `CONNECTIONS` of the message's at once. */
  readonly post: (send: { inbox: string; flavour: SignatureFlavour }) => Promise<Knocked>;
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
  const post = limited(
    CONNECTIONS,
    ({ inbox, flavour }: { inbox: string; flavour: SignatureFlavour }) =>
      deliverKnocking(ctx, inbox, { activity, key, flavour, timeoutMs: DELIVERY_TIMEOUT_MS }),
  );
  const { done, late } = await gather(
    hosts,
    ([host, inboxes]) =>
      deliverToHost(ctx, message, {
        host,
        inboxes,
        listed: mirror.get(host),
        activitySeq: row.seq,
        post,
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

/**
 * Sends to one host's inboxes side by side, as Mastodon and Fedify do (a job or a message an
 * inbox), within the message's `CONNECTIONS`; what did not go through is handed to the host's
 * object.
 */
async function deliverToHost(
  ctx: AppContext,
  message: DeliverMessage,
  delivery: HostDelivery,
): Promise<HostResult> {
  const { host, inboxes, listed } = delivery;
  // A listed host that is not healthy is its object's to send to.
  const sent =
    listed === undefined || listed.state === "healthy"
      ? await Promise.all(
          inboxes.map((inbox) => delivery.post({ inbox, flavour: listed?.flavour ?? "cavage" })),
        )
      : [];
  const worked = sent.find((s) => s.worked !== undefined)?.worked;
  const outcomes = sent.map((s) => s.outcome);
  const answered = outcomes.filter(isFinal);
  const worst = worstFailure(outcomes);
  // Answered, but slowly: the host's object serves it from then on.
  const slow = sent.some((s) => s.slow && isFinal(s.outcome));
  // What failed (the host is judged by all of it at once: `judgeAtOnce`), or all of it untried.
  const delivered = new Set(answered.map((o) => o.inbox));
  const left = inboxes.filter((inbox) => !delivered.has(inbox));
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
      outcomes: worst === undefined ? answered : [...answered, worst],
      alsoFailed: outcomes.filter((o) => !isFinal(o) && o !== worst),
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
