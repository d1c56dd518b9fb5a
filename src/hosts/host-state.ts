/**
 * Per-remote-host delivery state, one object per host (`idFromName(host)`): failure counts,
 * backoff, the circuit breaker, dead-host tracking, which signature flavour the host takes,
 * and the deliveries it holds.
 *
 * The queue consumer sends to healthy hosts itself. A host's inboxes that failed or answered
 * "try later", and those of every host the D1 mirror lists as not healthy, are handed here
 * (`hold`): from then on this object sends them, from its alarm, one host connection at a
 * time, earliest published first, on the backoff the policy gives (`judgeAtOnce` for the
 * consumer's answers, `judgeAnswer` for its own). A host too slow for the consumer
 * (`FAST_PATH_TIMEOUT_MS`) is this object's to serve from then on. A sick host so costs the
 * queue one call, and never holds a consumer, or the healthy hosts behind it, for its timeout
 * again. When the host answers, what is held goes at once; when it is fast and holds nothing,
 * the mirror lists it healthy again and the consumer takes it back.
 */
import { DurableObject } from "cloudflare:workers";
import { createPlatform, type Platform } from "../context";
import { type Config, parseConfig } from "../env";
import {
  BASE_BACKOFF_MS,
  type DeliveryOutcome,
  describeOutcome,
  HEALTHY,
  type HostRecord,
  isFinal,
  isOpen,
  judgeAtOnce,
  PARK_RETENTION_MS,
  worstFailure,
} from "../federation/delivery/policy";
import { migrate } from "../lib/do-migrations";
import { counted } from "../metrics/recorder";
import type { SignatureFlavour } from "../signatures/verify";
import { recordFailures } from "../storage/deliveries";
import { type HostHealth, mirrorHostHealth } from "../storage/hosts";
import { Held } from "./parked";
import { HOST_STATE_MIGRATIONS } from "./schema";
import { sendHeld } from "./send-held";

export interface HostStatus {
  readonly host: string | null;
  readonly failures: number;
  readonly failureDays: number;
  readonly circuit: "closed" | "open";
  readonly unavailable: boolean;
  /** Too slow for the queue consumer: this object sends to it. */
  readonly slow: boolean;
  readonly nextAttemptAt: Date | null;
  /** Deliveries held here, still to send. */
  readonly parked: number;
  readonly flavour: SignatureFlavour;
}

/** Deliveries for this object to send: one activity's inboxes at the host that did not take it. */
export interface HoldRequest {
  readonly host: string;
  readonly activityId: string;
  /** The activity's place in the outbox: what is held goes in publication order. */
  readonly activitySeq?: number;
  /** The inboxes not delivered yet: those the consumer tried and that failed, and any untried. */
  readonly inboxes: readonly string[];
  /**
   * What the consumer's POSTs to this host came to: its final answers, then its worst failure
   * (`worstFailure`), if any. (The shape an object of any release reads: a consumer of an
   * earlier release sent one after another and stopped at the first failure.)
   */
  readonly outcomes?: readonly DeliveryOutcome[];
  /**
   * The other failures of the POSTs sent side by side with those: the host is judged by all of
   * them at once (`judgeAtOnce`), and their inboxes were tried. An object of an earlier release
   * leaves them out, and holds their inboxes as untried.
   */
  readonly alsoFailed?: readonly DeliveryOutcome[];
  /** The flavour the host accepted, when the consumer learned it by knocking. */
  readonly flavour?: SignatureFlavour;
  /** The host answered the consumer slower than `FAST_PATH_TIMEOUT_MS`: this object serves it next. */
  readonly slow?: boolean;
}

/** How the delivery record should show what was handed over. */
export interface Holding {
  readonly state: "retrying" | "parked";
  readonly nextAttemptAt: Date;
}

/** The legacy API, for a queue consumer of the previous release during a deploy. */
type LegacyAdmission = { readonly send: false; readonly nextAttemptAt: Date };
interface LegacyAnswer {
  readonly retry: { readonly inboxes: readonly string[]; readonly delaySeconds: number };
  readonly park: { readonly inboxes: readonly string[]; readonly wakeAt: Date | null };
}

interface StateRow extends Record<string, SqlStorageValue> {
  host: string | null;
  failures: number;
  failure_days: string;
  open_until: number | null;
  unavailable: number;
  flavour: string;
  reported_health: string | null;
  slow: number;
  steady: number;
}

const recordOf = (row: StateRow): HostRecord => ({
  failures: row.failures,
  failureDays: JSON.parse(row.failure_days) as number[],
  retryAt: row.open_until === null ? null : new Date(row.open_until),
  unavailable: row.unavailable === 1,
  steady: row.steady,
});

/** How long a run that failed (D1 unreachable, say) waits before the next. */
const RUN_FAILED_RETRY_MS = 60_000;
/**
 * What the previous release's consumer is answered by the legacy calls, it records after its
 * other hosts are done: this object waits that long before sending, so that its own record
 * of the outcome lands last.
 */
const LEGACY_GRACE_MS = 3 * 60_000;

/** How long a misconfigured instance waits before its objects try again. */
const MISCONFIGURED_RETRY_MS = 5 * 60_000;

export class HostState extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly held: Held;
  private readonly platform: Platform;
  /** Null when the vars are wrong: nothing is sent, what is held waits. */
  private readonly config: Config | null;
  /** The run under way: one at a time, or a delivery could be sent twice. */
  private running: Promise<void> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrate(ctx.storage, HOST_STATE_MIGRATIONS);
    this.held = new Held(this.sql);
    this.platform = createPlatform(env);
    const parsed = parseConfig(env);
    this.config = parsed.ok ? parsed.config : null;
  }

  /** Takes over these deliveries: this object sends them, when the host may be tried. */
  async hold(request: HoldRequest): Promise<Holding> {
    return counted(this.env, this.ctx, async () => {
      const holding = await this.holdNow(request);
      // Held and recorded: a mirror that could not be written must not make the consumer
      // think otherwise (it would record the deliveries as unreachable, to be sent again).
      await this.mirror().catch((error: unknown) => {
        console.error(`host state: mirror not written: ${String(error)}`);
        this.sql.exec("UPDATE state SET reported_health = NULL WHERE k = 1");
      });
      return holding;
    });
  }

  /** Makes sure what is held has an alarm (the housekeeping asks, for overdue records). */
  async wake(): Promise<void> {
    if (this.held.count() === 0) return;
    const retryAt = recordOf(this.row()).retryAt;
    const now = this.platform.now();
    await this.scheduleAlarm(retryAt !== null && retryAt > now ? retryAt : now);
  }

  /**
   * What the consumer learned of a host it is done with: the flavour it accepted, or that it
   * answered slower than the consumer's patience (this object serves it from then on).
   */
  async remember(learned: {
    host: string;
    flavour?: SignatureFlavour;
    slow?: boolean;
  }): Promise<void> {
    this.sql.exec(
      "UPDATE state SET host = coalesce(host, ?), flavour = coalesce(?, flavour), slow = coalesce(?, slow) WHERE k = 1",
      learned.host,
      learned.flavour ?? null,
      learned.slow === true ? 1 : null,
    );
    await this.mirror();
  }

  /** Sends what is held, as far as the host lets it; records as failed what waited too long. */
  override async alarm(): Promise<void> {
    if (this.running !== undefined) return this.running;
    this.running = counted(this.env, this.ctx, async () => {
      try {
        await this.run();
        await this.mirror();
      } catch (error) {
        // The platform retries a failed alarm a few times, then gives up: rows held must
        // never be left without one, so this object sets its own.
        console.error(`host state: run failed: ${String(error)}`);
        if (this.held.count() > 0) {
          await this.ctx.storage.setAlarm(this.platform.now().getTime() + RUN_FAILED_RETRY_MS);
        }
      }
    }).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The owner's "retry now" (the dashboard): what is held is tried at once, backoff or not. */
  async retryNow(): Promise<HostStatus> {
    this.sql.exec("UPDATE state SET open_until = NULL WHERE k = 1");
    await this.alarm();
    return this.status();
  }

  /** The owner's "forget": the failure record goes, and what is held is tried at once. */
  async forget(): Promise<HostStatus> {
    this.save(HEALTHY, false);
    return this.retryNow();
  }

  async status(): Promise<HostStatus> {
    const row = this.row();
    const record = recordOf(row);
    return {
      host: row.host,
      failures: record.failures,
      failureDays: record.failureDays.length,
      circuit: isOpen(record) ? "open" : "closed",
      unavailable: record.unavailable,
      slow: row.slow === 1,
      nextAttemptAt: record.retryAt,
      parked: this.held.count(),
      flavour: row.flavour as SignatureFlavour,
    };
  }

  /**
   * The previous release's calls, kept for one release: during a deploy, a queue consumer of
   * the old Worker may still ask before sending (`admit`) and tell after (`reportOutcomes`,
   * `report`). Each is answered by holding the deliveries here, which the old consumer records
   * as parked. Remove in the release after 0.1.
   */
  async admit(request: Omit<HoldRequest, "outcomes">): Promise<LegacyAdmission> {
    const { nextAttemptAt } = await this.hold(request);
    await this.graceForLegacy();
    return { send: false, nextAttemptAt };
  }

  async reportOutcomes(report: Omit<HoldRequest, "inboxes">): Promise<LegacyAnswer> {
    const outcomes = report.outcomes ?? [];
    const left = outcomes.filter((o) => o.kind === "retry" || o.kind === "hostFailure");
    const inboxes = left.map((o) => o.inbox);
    const holding = await this.hold({ ...report, inboxes, outcomes });
    await this.graceForLegacy();
    return {
      retry: { inboxes: [], delaySeconds: 0 },
      park: { inboxes, wakeAt: inboxes.length > 0 ? holding.nextAttemptAt : null },
    };
  }

  async report(legacy: Omit<HoldRequest, "inboxes"> & { results: DeliveryOutcome[] }) {
    const { park } = await this.reportOutcomes({ ...legacy, outcomes: legacy.results });
    return { retry: [], parked: [...park.inboxes], failures: recordOf(this.row()).failures };
  }

  private async graceForLegacy(): Promise<void> {
    const notBefore = this.platform.now().getTime() + LEGACY_GRACE_MS;
    const current = await this.ctx.storage.getAlarm();
    if (current !== null && current < notBefore) await this.ctx.storage.setAlarm(notBefore);
  }

  private row(): StateRow {
    return this.sql.exec<StateRow>("SELECT * FROM state WHERE k = 1").one();
  }

  private save(record: HostRecord, slow?: boolean): void {
    this.sql.exec(
      "UPDATE state SET failures = ?, failure_days = ?, open_until = ?, unavailable = ?, steady = ?, slow = coalesce(?, slow) WHERE k = 1",
      record.failures,
      JSON.stringify(record.failureDays),
      record.retryAt?.getTime() ?? null,
      record.unavailable ? 1 : 0,
      record.steady,
      slow === undefined ? null : slow ? 1 : 0,
    );
  }

  private async holdNow(request: HoldRequest): Promise<Holding> {
    const now = this.platform.now();
    this.sql.exec("UPDATE state SET host = coalesce(host, ?) WHERE k = 1", request.host);
    if (request.flavour !== undefined) {
      this.sql.exec("UPDATE state SET flavour = ? WHERE k = 1", request.flavour);
    }
    const outcomes = [...(request.outcomes ?? []), ...(request.alsoFailed ?? [])];
    const record = judgeAtOnce(recordOf(this.row()), outcomes, this.judging());
    // A timeout, or an answer slower than the consumer's patience: the object serves the host.
    const timedOut = outcomes.some((o) => o.kind === "hostFailure" && o.error === "timeout");
    this.save(record, timedOut || request.slow === true ? true : undefined);
    const failed = outcomes.filter((o) => !isFinal(o));
    this.held.add(request, request.inboxes, { now, tried: new Set(failed.map((o) => o.inbox)) });
    for (const o of outcomes) {
      if (isFinal(o) && o.kind !== "delivered")
        this.held.refused(request, { inbox: o.inbox, error: describeOutcome(o), now });
    }
    const nextAttemptAt = record.retryAt !== null && record.retryAt > now ? record.retryAt : now;
    const state = isOpen(record) ? "parked" : "retrying";
    await this.scheduleAlarm(nextAttemptAt);
    // Recorded here, not by the consumer: this object may be done with it first.
    const { pending } = this.held.standing(request.activityId);
    if (pending.length > 0) {
      const worst = worstFailure(outcomes);
      const error = worst !== undefined ? describeOutcome(worst) : "sent by the host's object";
      await recordFailures(this.platform.db, {
        now,
        records: [
          {
            activityId: request.activityId,
            host: request.host,
            state,
            inboxes: pending,
            error,
            nextAttemptAt,
          },
        ],
      });
    }
    return { state, nextAttemptAt };
  }

  private judging() {
    const baseMs = this.config?.retryBaseMs ?? BASE_BACKOFF_MS;
    return { now: this.platform.now(), baseMs };
  }

  private async run(): Promise<void> {
    const now = this.platform.now();
    await this.expireHeld(now);
    if (this.held.count() === 0) return;
    const row = this.row();
    const record = recordOf(row);
    if (record.retryAt !== null && now < record.retryAt) {
      await this.scheduleAlarm(record.retryAt);
      return;
    }
    if (this.config === null) {
      console.error("host state: configuration error, holding deliveries");
      await this.scheduleAlarm(new Date(now.getTime() + MISCONFIGURED_RETRY_MS));
      return;
    }
    const sent = await sendHeld(
      { ...this.platform, config: this.config },
      {
        host: row.host ?? "",
        held: this.held,
        record,
        flavour: row.flavour as SignatureFlavour,
        judging: () => this.judging(),
      },
    );
    if (sent.flavour !== undefined) {
      this.sql.exec("UPDATE state SET flavour = ? WHERE k = 1", sent.flavour);
    }
    this.save(sent.record, sent.slow);
    if (this.held.count() > 0) await this.scheduleAlarm(sent.record.retryAt ?? this.platform.now());
  }

  /**
   * Held longer than the retention: refused, as far as the record goes (never dropped
   * silently). An activity with nothing else pending is recorded as failed and forgotten; the
   * others say so when the rest of theirs is settled.
   */
  private async expireHeld(now: Date): Promise<void> {
    const expired = this.held.expire(new Date(now.getTime() - PARK_RETENTION_MS));
    const host = this.row().host;
    if (expired.length === 0 || host === null) return;
    const settled = expired.flatMap((activityId) => {
      const { pending, failed } = this.held.standing(activityId);
      if (pending.length > 0) return [];
      const inboxes = failed.map((f) => f.inbox);
      return [{ activityId, host, state: "failed" as const, inboxes, error: failed[0]?.error }];
    });
    await recordFailures(this.platform.db, { now, records: settled });
    for (const { activityId } of settled) this.held.forget(activityId);
  }

  /**
   * Mirrors this host's state into D1 (`host_states`) when it changes: deliveries read the
   * mirror, and hand to this object every host listed there as anything but healthy.
   */
  private async mirror(): Promise<void> {
    const row = this.row();
    if (row.host === null) return;
    const record = recordOf(row);
    const health: HostHealth = {
      host: row.host,
      state: record.unavailable
        ? "unavailable"
        : record.failures > 0 || this.held.count() > 0
          ? "backingOff"
          : row.slow === 1
            ? "slow"
            : "healthy",
      flavour: row.flavour as SignatureFlavour,
      nextAttemptAt: record.retryAt,
    };
    const mirrored = `${health.state}|${health.flavour}|${row.open_until ?? ""}`;
    if (row.reported_health === mirrored) return;
    await mirrorHostHealth(this.platform.db, { health, now: this.platform.now() });
    this.sql.exec("UPDATE state SET reported_health = ? WHERE k = 1", mirrored);
  }

  private async scheduleAlarm(at: Date): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at.getTime()) await this.ctx.storage.setAlarm(at);
  }
}
