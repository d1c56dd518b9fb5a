/**
 * Delivery: one signed POST of a stored activity per inbox, the answer classified (as
 * Mastodon and Fedify do), and the host's `HostState` asked before and told after. Failed
 * inboxes are retried on their own, parked while their host is down, or recorded as failed.
 */
import { eq, inArray } from "drizzle-orm";
import { withContext } from "../activitypub/context";
import { hostOf } from "../activitypub/parse";
import type { Config } from "../env";
import type { DeliveryResult, OutcomeKind, ReportAnswer } from "../hosts/host-state";
import { recorder } from "../metrics/recorder";
import { type BodyDigests, bodyDigests, type SigningKey, signMessage } from "../signatures/sign";
import type { SignatureFlavour } from "../signatures/verify";
import type { Db } from "../storage/db";
import {
  clearFailuresStatement,
  type FailureRecord,
  failureStatements,
} from "../storage/deliveries";
import { loadSigningKey, privateKeyQuery } from "../storage/local-actors";
import { deliveryBatches, hostStates, outbox } from "../storage/schema";
import { SOFTWARE } from "../version";
import type { DeliverMessage } from "./messages";
import { enqueue, type Outgoing } from "./queue";
import { checkRemoteUrl } from "./remote-url";

export type DeliveryOutcome =
  | { readonly kind: "delivered"; readonly status: number }
  /** 404/410: the inbox is gone; never try it again. */
  | { readonly kind: "gone"; readonly status: number }
  /** Another 4xx: the host is up but will not take this activity. */
  | { readonly kind: "rejected"; readonly status: number }
  /** 401/408/429/503: try again, after `retryAfter` seconds when the host says. */
  | { readonly kind: "retry"; readonly status: number; readonly retryAfter?: number }
  /** 5xx, timeouts, refused connections: the host is failing. */
  | { readonly kind: "hostFailure"; readonly status?: number; readonly error: string }
  /** The URL is not one we may send to. */
  | { readonly kind: "blocked" };

/** Reads `Retry-After` (seconds or an HTTP date) into seconds from now. */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

export function classifyResponse(response: Pick<Response, "status" | "headers">): DeliveryOutcome {
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: "delivered", status };
  if (status === 404 || status === 410) return { kind: "gone", status };
  if (status === 429 || status === 503) {
    return {
      kind: "retry",
      status,
      retryAfter: parseRetryAfter(response.headers.get("retry-after")),
    };
  }
  if (status === 401 || status === 408) return { kind: "retry", status };
  if (status >= 400 && status < 500) return { kind: "rejected", status };
  return { kind: "hostFailure", status, error: `HTTP ${status}` };
}

export interface PreparedActivity {
  readonly body: Uint8Array;
  readonly digests: BodyDigests;
}

/** The bytes every inbox gets, serialised and hashed once. `bto`/`bcc` are never sent. */
export async function prepareActivity(payload: Record<string, unknown>): Promise<PreparedActivity> {
  const { bto: _bto, bcc: _bcc, ...visible } = payload;
  const body = new TextEncoder().encode(JSON.stringify(withContext(visible)));
  return { body, digests: await bodyDigests(body) };
}

/** POSTs the activity to the inbox, signed now, and classifies what happened. */
export async function deliverTo(
  inbox: string,
  activity: PreparedActivity,
  options: { config: Config; key: SigningKey; flavour: SignatureFlavour; timeoutMs?: number },
): Promise<DeliveryOutcome> {
  const allowed = checkRemoteUrl(inbox, options.config);
  if (!allowed.ok) return { kind: "blocked" };
  const headers = await signMessage(
    {
      method: "POST",
      url: allowed.url,
      headers: new Headers({
        "Content-Type": "application/activity+json",
        "User-Agent": `${SOFTWARE.name}/${SOFTWARE.version} (+${options.config.origin}/)`,
      }),
      body: activity.body,
      digests: activity.digests,
    },
    options.key,
    options.flavour,
  );
  const started = Date.now();
  let outcome: DeliveryOutcome;
  try {
    const response = await fetch(allowed.url, {
      method: "POST",
      headers,
      body: activity.body,
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    await response.body?.cancel();
    outcome = classifyResponse(response);
  } catch (error) {
    const name = error instanceof Error ? error.name : "Error";
    outcome = { kind: "hostFailure", error: name === "TimeoutError" ? "timeout" : "network error" };
  }
  countDelivery(outcome, (Date.now() - started) / 1000);
  return outcome;
}

/** One POST, in the metrics: its duration, its result, and the kind of error if any. */
function countDelivery(outcome: DeliveryOutcome, seconds: number): void {
  const r = recorder();
  r.observe("activitypub_delivery_duration_seconds", seconds);
  r.inc("activitypub_deliveries_total", { result: outcome.kind });
  if (outcome.kind === "delivered") return;
  let errorType: string = outcome.kind;
  if (outcome.kind === "hostFailure") {
    errorType =
      outcome.status !== undefined
        ? "http_5xx"
        : outcome.error === "timeout"
          ? "timeout"
          : "network";
  } else if ("status" in outcome) {
    errorType = `http_${outcome.status}`;
  }
  r.inc("activitypub_delivery_errors_total", { error_type: errorType });
}

const otherFlavour = (f: SignatureFlavour): SignatureFlavour =>
  f === "cavage" ? "rfc9421" : "cavage";

/**
 * Sends with the host's flavour; when the host answers 400 or 401, knocks once more with
 * the other flavour (draft-cavage and RFC 9421), and says which one worked.
 */
async function deliverKnocking(
  inbox: string,
  activity: PreparedActivity,
  options: { config: Config; key: SigningKey; flavour: SignatureFlavour },
): Promise<{ outcome: DeliveryOutcome; worked?: SignatureFlavour }> {
  const first = await deliverTo(inbox, activity, options);
  const refused = "status" in first && (first.status === 400 || first.status === 401);
  if (!refused) return { outcome: first };
  const flavour = otherFlavour(options.flavour);
  const second = await deliverTo(inbox, activity, { ...options, flavour });
  return second.kind === "delivered" ? { outcome: second, worked: flavour } : { outcome: first };
}

export interface DeliverContext {
  readonly db: Db;
  readonly config: Config;
  readonly env: Env;
}

/** Attempts of one inbox, after which a delivery that keeps failing is recorded as failed. */
export const MAX_ATTEMPTS = 10;
const CONNECTIONS = 6;

interface HostOutcome {
  readonly host: string;
  readonly inboxes: readonly string[];
  readonly results: readonly DeliveryResult[];
  readonly answer: ReportAnswer | undefined;
  /** When the host object parked the deliveries without sending. */
  readonly parkedUntil?: number;
}

/** Runs tasks with at most `limit` at a time (Workers allow six open connections). */
async function pool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i] as T);
      }
    }),
  );
  return results;
}

/**
 * Delivers one message: its inboxes, grouped by host. A host the `host_states` mirror does
 * not list is healthy: its inboxes are sent to at once, and its `HostState` object hears
 * only of a failure or a change of flavour. A listed host (failing, down, or RFC 9421 first)
 * is asked before, and told after, as is every probe.
 */
export async function deliver(ctx: DeliverContext, message: DeliverMessage): Promise<void> {
  const { db, config, env } = ctx;
  const byHost = new Map<string, string[]>();
  for (const inbox of message.inboxes) {
    const host = hostOf(inbox);
    byHost.set(host, [...(byHost.get(host) ?? []), inbox]);
  }
  // Everything to read, in one round trip.
  const [batches, stored, states, keys] = await db.batch([
    db
      .select({ state: deliveryBatches.state })
      .from(deliveryBatches)
      .where(eq(deliveryBatches.id, message.batchId ?? "")),
    db.select().from(outbox).where(eq(outbox.id, message.activityId)),
    db
      .select()
      .from(hostStates)
      .where(inArray(hostStates.host, [...byHost.keys()])),
    privateKeyQuery(db, "owner"),
  ]);
  // A redelivered message whose batch is done has reached its inboxes already.
  if (batches[0]?.state === "done") return;
  const [activityRow] = stored;
  if (activityRow === undefined) {
    console.warn(`deliver: no activity ${message.activityId}; nothing to send`);
    return;
  }
  const [activity, key] = await Promise.all([
    prepareActivity(activityRow.payload),
    loadSigningKey(db, "owner", config.urls.owner.keyId, keys[0]),
  ]);
  const listed = new Map(states.map((s) => [s.host, s]));
  const r = recorder();

  const outcomes = await pool(
    [...byHost],
    CONNECTIONS,
    async ([host, inboxes]): Promise<HostOutcome> => {
      const known = listed.get(host);
      const consult = known !== undefined || message.probe === true;
      const stub = () => env.HOST_STATE.get(env.HOST_STATE.idFromName(host));
      let flavour: SignatureFlavour = known?.flavour ?? "cavage";
      if (consult) {
        r.inc("outpost_do_calls_total", { method: "admit" });
        const admission = await stub().admit({
          host,
          activityId: message.activityId,
          activitySeq: activityRow.seq,
          inboxes,
          probe: message.probe,
        });
        if (!admission.send) {
          r.inc("activitypub_deliveries_total", { result: "parked" }, inboxes.length);
          return {
            host,
            inboxes,
            results: [],
            answer: undefined,
            parkedUntil: admission.nextAttemptAt,
          };
        }
        flavour = admission.flavour;
      }
      const results: DeliveryResult[] = [];
      let worked: SignatureFlavour | undefined;
      for (const inbox of inboxes) {
        const sent = await deliverKnocking(inbox, activity, {
          config,
          key,
          flavour: worked ?? flavour,
        });
        worked ??= sent.worked;
        results.push(toResult(inbox, sent.outcome));
      }
      const allWell = results.every(
        (x) => x.kind === "delivered" || x.kind === "gone" || x.kind === "rejected",
      );
      if (!consult && allWell && worked === undefined)
        return { host, inboxes, results, answer: undefined };
      r.inc("outpost_do_calls_total", { method: "report" });
      const answer = await stub().report({
        host,
        activityId: message.activityId,
        activitySeq: activityRow.seq,
        results,
        flavour: worked,
      });
      return { host, inboxes, results, answer };
    },
  );

  await settle(ctx, message, outcomes);
}

function toResult(inbox: string, outcome: DeliveryOutcome): DeliveryResult {
  const kind: OutcomeKind = outcome.kind;
  return {
    inbox,
    kind,
    status: "status" in outcome ? outcome.status : undefined,
    error: "error" in outcome ? outcome.error : undefined,
    retryAfter: "retryAfter" in outcome ? outcome.retryAfter : undefined,
  };
}

/** Records what happened, and sends the inboxes worth another try on their own. */
async function settle(
  ctx: DeliverContext,
  message: DeliverMessage,
  outcomes: readonly HostOutcome[],
) {
  const { db, env } = ctx;
  const now = new Date();
  const attempt = message.attempt ?? 1;
  const failures: FailureRecord[] = [];
  const reached: string[] = [];
  const again: Outgoing[] = [];
  for (const { host, inboxes, results, answer, parkedUntil } of outcomes) {
    const base = { activityId: message.activityId, host };
    if (parkedUntil !== undefined) {
      failures.push({
        ...base,
        state: "parked",
        inboxes,
        error: "host unavailable",
        nextAttemptAt: new Date(parkedUntil),
      });
      continue;
    }
    const permanent = results.filter(
      (r) => r.kind === "gone" || r.kind === "rejected" || r.kind === "blocked",
    );
    const parked = answer?.parked ?? [];
    const retry = answer?.retry ?? [];
    const describe = (inbox: string) => {
      const r = results.find((x) => x.inbox === inbox);
      return r?.error ?? (r?.status === undefined ? r?.kind : `HTTP ${r.status}`);
    };
    if (permanent.length > 0) {
      const r = permanent[0] as DeliveryResult;
      failures.push({
        ...base,
        state: "failed",
        inboxes: permanent.map((p) => p.inbox),
        error: r.kind === "blocked" ? "address not allowed" : `HTTP ${r.status} (${r.kind})`,
      });
    } else if (parked.length > 0) {
      failures.push({
        ...base,
        state: "parked",
        inboxes: parked,
        error: describe(parked[0] as string),
      });
    } else if (retry.length > 0 && attempt >= MAX_ATTEMPTS) {
      failures.push({
        ...base,
        state: "failed",
        inboxes: retry.map((r) => r.inbox),
        error: `gave up after ${attempt} attempts: ${describe(retry[0]?.inbox ?? "")}`,
      });
    } else if (retry.length > 0) {
      const delaySeconds = Math.min(12 * 3600, Math.max(...retry.map((r) => r.delaySeconds)));
      failures.push({
        ...base,
        state: "retrying",
        inboxes: retry.map((r) => r.inbox),
        error: describe(retry[0]?.inbox ?? ""),
        nextAttemptAt: new Date(now.getTime() + delaySeconds * 1000),
      });
      again.push({
        body: {
          v: 1,
          type: "deliver",
          activityId: message.activityId,
          inboxes: retry.map((r) => r.inbox),
          attempt: attempt + 1,
        } satisfies DeliverMessage,
        delaySeconds,
      });
    } else {
      reached.push(host);
    }
  }
  const statements = [
    ...failureStatements(db, failures, now),
    ...(reached.length > 0 ? [clearFailuresStatement(db, message.activityId, reached)] : []),
    ...(message.batchId === undefined
      ? []
      : [
          db
            .update(deliveryBatches)
            .set({ state: "done", doneAt: now })
            .where(eq(deliveryBatches.id, message.batchId)),
        ]),
  ];
  // The record first: if the retries below cannot be sent, the sweeper finds them overdue.
  const [first, ...rest] = statements;
  if (first !== undefined) await db.batch([first, ...rest]);
  await enqueue(env.DELIVERY_QUEUE, again);
}
