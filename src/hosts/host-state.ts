/**
 * Per-remote-host delivery state, one object per host (`idFromName(host)`): failure counts,
 * backoff, the circuit breaker, dead-host tracking, deliveries parked while the host is down
 * (drained in publication order when it recovers), and which signature flavour it accepts.
 *
 * The delivery consumer asks `admit()` before sending to a host it knows is failing, and
 * tells `reportOutcomes()` what happened; what to make of it is the delivery policy's
 * (`judgeHost`). An alarm sends one probe per backoff window while deliveries are parked,
 * and records as failed those parked longer than the retention.
 */
import { DurableObject } from "cloudflare:workers";
import { createPlatform, type Platform } from "../context";
import { parseConfig } from "../env";
import {
  BASE_BACKOFF_MS,
  type DeliveryOutcome,
  type HostRecord,
  type HostVerdict,
  isOpen,
  judgeHost,
  PARK_RETENTION_MS,
  PROBE_TIMEOUT_MS,
} from "../federation/delivery/policy";
import type { DeliverMessage } from "../federation/queue/messages";
import { enqueue } from "../federation/queue/send";
import { migrate } from "../lib/do-migrations";
import { counted } from "../metrics/recorder";
import type { SignatureFlavour } from "../signatures/verify";
import { recordFailures } from "../storage/deliveries";
import { type HostHealth, mirrorHostHealth } from "../storage/hosts";
import { Parked } from "./parked";
import { HOST_STATE_MIGRATIONS } from "./schema";

export type Admission =
  | { readonly send: true; readonly flavour: SignatureFlavour; readonly probe: boolean }
  /** The host is down: the deliveries are parked here, the message can be acknowledged. */
  | { readonly send: false; readonly nextAttemptAt: Date };

/** What the delivery does next: retry some inboxes through the queue; the rest is parked. */
export type ReportAnswer = Pick<HostVerdict, "retry" | "park">;

export interface HostStatus {
  readonly host: string | null;
  readonly failures: number;
  readonly failureDays: number;
  readonly circuit: "closed" | "open" | "halfOpen";
  readonly unavailable: boolean;
  readonly nextAttemptAt: Date | null;
  readonly parked: number;
  readonly flavour: SignatureFlavour;
}

export interface AdmitRequest {
  readonly host: string;
  readonly activityId: string;
  /** The activity's place in the outbox: what is parked drains in publication order. */
  readonly activitySeq?: number;
  readonly inboxes: readonly string[];
  readonly probe?: boolean;
}

export interface ReportRequest {
  readonly host: string;
  readonly activityId: string;
  readonly activitySeq?: number;
  readonly outcomes: readonly DeliveryOutcome[];
  /** The flavour the host accepted, when it is not the one it was asked with. */
  readonly flavour?: SignatureFlavour;
}

/** What the previous release's consumers sent to `report()`, and what they read back. */
type LegacyReport = Omit<ReportRequest, "outcomes"> & { readonly results: DeliveryOutcome[] };
interface LegacyAnswer {
  readonly retry: readonly { readonly inbox: string; readonly delaySeconds: number }[];
  readonly parked: readonly string[];
  readonly failures: number;
}

interface StateRow extends Record<string, SqlStorageValue> {
  host: string | null;
  failures: number;
  failure_days: string;
  open_until: number | null;
  probe_started_at: number | null;
  unavailable: number;
  flavour: string;
  reported_health: string | null;
}

const recordOf = (row: StateRow): HostRecord => ({
  failures: row.failures,
  failureDays: JSON.parse(row.failure_days) as number[],
  openUntil: row.open_until === null ? null : new Date(row.open_until),
  unavailable: row.unavailable === 1,
});

export class HostState extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly parked: Parked;
  private readonly platform: Platform;
  /** The backoff's base: shortened on a development instance (`DEV_RETRY_BASE_MS`). */
  private readonly retryBaseMs: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrate(ctx.storage, HOST_STATE_MIGRATIONS);
    this.parked = new Parked(this.sql);
    this.platform = createPlatform(env);
    const parsed = parseConfig(env);
    // A misconfigured Worker refuses its requests and messages; here the default is safe.
    this.retryBaseMs = parsed.ok ? parsed.config.retryBaseMs : BASE_BACKOFF_MS;
  }

  /** May these deliveries go now? If not, they are parked here. */
  async admit(request: AdmitRequest): Promise<Admission> {
    return counted(this.env, this.ctx, () => this.admitNow(request));
  }

  /** What happened to the deliveries sent to this host; what to do with those that failed. */
  async reportOutcomes(report: ReportRequest): Promise<ReportAnswer> {
    return counted(this.env, this.ctx, async () => {
      const answer = await this.reportNow(report);
      await this.mirror();
      return answer;
    });
  }

  /**
   * The previous release's `report()`, kept for one release: during a deploy, a queue
   * consumer of the old Worker may still call the new object, and must get the answer it
   * reads (its results are outcomes by another name). Remove in the release after 0.1.
   */
  async report(legacy: LegacyReport): Promise<LegacyAnswer> {
    const { retry, park } = await this.reportOutcomes({ ...legacy, outcomes: legacy.results });
    return {
      retry: retry.inboxes.map((inbox) => ({ inbox, delaySeconds: retry.delaySeconds })),
      parked: [...park.inboxes],
      failures: recordOf(this.row()).failures,
    };
  }

  /** Probe once per backoff window; record as failed what waited past the retention. */
  override async alarm(): Promise<void> {
    await counted(this.env, this.ctx, async () => {
      await this.alarmNow();
      await this.mirror();
    });
  }

  async status(): Promise<HostStatus> {
    const row = this.row();
    const record = recordOf(row);
    const inFlight = this.probing(row);
    return {
      host: row.host,
      failures: record.failures,
      failureDays: record.failureDays.length,
      circuit: !isOpen(record) ? "closed" : inFlight ? "halfOpen" : "open",
      unavailable: record.unavailable,
      nextAttemptAt: record.openUntil,
      parked: this.parked.count(),
      flavour: row.flavour as SignatureFlavour,
    };
  }

  private row(): StateRow {
    return this.sql.exec<StateRow>("SELECT * FROM state WHERE k = 1").one();
  }

  /** Whether a probe was sent and has not yet been reported back, or given up on. */
  private probing(row: StateRow): boolean {
    const now = this.platform.now().getTime();
    return row.probe_started_at !== null && now - row.probe_started_at < PROBE_TIMEOUT_MS;
  }

  private save(record: HostRecord): void {
    this.sql.exec(
      "UPDATE state SET failures = ?, failure_days = ?, open_until = ?, unavailable = ?, probe_started_at = NULL WHERE k = 1",
      record.failures,
      JSON.stringify(record.failureDays),
      record.openUntil?.getTime() ?? null,
      record.unavailable ? 1 : 0,
    );
  }

  private async admitNow(request: AdmitRequest): Promise<Admission> {
    const now = this.platform.now();
    const row = this.row();
    if (row.host === null) this.sql.exec("UPDATE state SET host = ? WHERE k = 1", request.host);
    const flavour = row.flavour as SignatureFlavour;
    const record = recordOf(row);
    if (!isOpen(record)) return { send: true, flavour, probe: false };
    // A probe the alarm sent, or the first delivery after the backoff window: it goes, alone.
    // Not when others are parked: they were published first, and the alarm probes with those.
    const due = !this.probing(row) && now >= (record.openUntil ?? now);
    if (request.probe || (due && this.parked.count() === 0)) {
      this.sql.exec("UPDATE state SET probe_started_at = ? WHERE k = 1", now.getTime());
      return { send: true, flavour, probe: true };
    }
    this.parked.add(request, request.inboxes, now);
    const nextAttemptAt = due ? now : (record.openUntil ?? now);
    await this.scheduleAlarm(nextAttemptAt);
    return { send: false, nextAttemptAt };
  }

  private async reportNow(report: ReportRequest): Promise<ReportAnswer> {
    // Healthy hosts are not asked before a delivery: the first word may be a report.
    this.sql.exec("UPDATE state SET host = coalesce(host, ?) WHERE k = 1", report.host);
    if (report.flavour !== undefined) {
      this.sql.exec("UPDATE state SET flavour = ? WHERE k = 1", report.flavour);
    }
    const verdict = judgeHost(recordOf(this.row()), report.outcomes, {
      now: this.platform.now(),
      baseMs: this.retryBaseMs,
    });
    this.save(verdict.record);
    if (verdict.recovered) {
      // Only a successful delivery resets a host; what was parked drains, in order.
      this.parked.remove(
        report.activityId,
        report.outcomes.map((o) => o.inbox),
      );
      await this.drain();
    }
    this.parked.add(report, verdict.park.inboxes, this.platform.now());
    if (verdict.park.wakeAt !== null) await this.scheduleAlarm(verdict.park.wakeAt);
    return { retry: verdict.retry, park: verdict.park };
  }

  private async alarmNow(): Promise<void> {
    const now = this.platform.now();
    await this.expireParked(now);
    const row = this.row();
    if (this.parked.count() === 0) return;
    const record = recordOf(row);
    const inFlight = this.probing(row);
    if (!inFlight && (record.openUntil === null || now >= record.openUntil)) {
      // The earliest published goes first: were it drained after later ones, a host could
      // get a `Delete` before its `Create`.
      const [first] = this.parked.inOrder(1);
      if (first === undefined) return;
      this.sql.exec("UPDATE state SET probe_started_at = ? WHERE k = 1", now.getTime());
      const probe: DeliverMessage = {
        v: 1,
        type: "deliver",
        activityId: first.activity_id,
        inboxes: [first.inbox],
        probe: true,
      };
      await enqueue(this.platform, [{ body: probe }]);
      await this.scheduleAlarm(new Date(now.getTime() + PROBE_TIMEOUT_MS));
      return;
    }
    const probeEnds = (row.probe_started_at ?? now.getTime()) + PROBE_TIMEOUT_MS;
    await this.scheduleAlarm(inFlight ? new Date(probeEnds) : (record.openUntil ?? now));
  }

  /** Sends everything parked back to the queue, in publication order. */
  private async drain(): Promise<void> {
    const { rows, messages } = this.parked.take();
    if (messages.length === 0) return;
    try {
      await enqueue(
        this.platform,
        messages.map((body) => ({ body })),
      );
    } catch (error) {
      this.parked.restore(rows);
      throw error;
    }
  }

  /** Parked longer than the retention: recorded as failed (in D1), never dropped silently. */
  private async expireParked(now: Date): Promise<void> {
    const before = new Date(now.getTime() - PARK_RETENTION_MS);
    const expired = this.parked.olderThan(before);
    const [anyInbox] = [...expired.values()][0] ?? [];
    if (anyInbox === undefined) return;
    const host = this.row().host ?? new URL(anyInbox).host;
    await recordFailures(this.platform.db, {
      now,
      records: [...expired].map(([activityId, inboxes]) => ({
        activityId,
        host,
        state: "failed" as const,
        inboxes,
        error: "host unreachable for longer than the parking retention",
      })),
    });
    this.parked.removeOlderThan(before);
  }

  /**
   * Mirrors this host's state into D1 (`host_states`) when it changes: deliveries read the
   * mirror, and ask this object only about hosts that are listed there.
   */
  private async mirror(): Promise<void> {
    const row = this.row();
    if (row.host === null) return;
    const record = recordOf(row);
    const health: HostHealth = {
      host: row.host,
      state: record.unavailable
        ? "unavailable"
        : isOpen(record) || record.failures > 0
          ? "backingOff"
          : "healthy",
      flavour: row.flavour as SignatureFlavour,
      nextAttemptAt: record.openUntil,
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
