/**
 * Per-remote-host delivery state, one object per host (`idFromName(host)`): failure counts,
 * backoff, the circuit breaker, dead-host tracking, deliveries parked while the host is down
 * (drained in order when it recovers), and which signature flavour the host accepts.
 *
 * The queue consumer asks `admit()` before sending and tells `report()` what happened; an
 * alarm sends one probe per backoff window while deliveries are parked, and records as
 * failed those parked longer than the retention.
 */
import { DurableObject } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { parseConfig } from "../env";
import type { DeliverMessage } from "../federation/messages";
import { enqueue } from "../federation/queue";
import { flush, recording } from "../metrics/recorder";
import type { SignatureFlavour } from "../signatures/verify";
import { createDb } from "../storage/db";
import { recordFailures } from "../storage/deliveries";
import { hostStates } from "../storage/schema";
import { Parked } from "./parked";
import {
  asQueueDelay,
  BASE_BACKOFF_MS,
  BREAKER_THRESHOLD,
  backoffMs,
  backoffSeconds,
  dayOf,
  PARK_RETENTION_MS,
  PROBE_TIMEOUT_MS,
  UNAVAILABLE_AFTER_DAYS,
} from "./policy";

export type OutcomeKind = "delivered" | "gone" | "rejected" | "retry" | "hostFailure" | "blocked";

export interface DeliveryResult {
  readonly inbox: string;
  readonly kind: OutcomeKind;
  readonly status?: number;
  readonly error?: string;
  /** Seconds, from `Retry-After`. */
  readonly retryAfter?: number;
}

export type Admission =
  | { readonly send: true; readonly flavour: SignatureFlavour; readonly probe: boolean }
  /** The host is down: the deliveries are parked here, the message can be acknowledged. */
  | { readonly send: false; readonly nextAttemptAt: number };

export interface ReportAnswer {
  /** Inboxes to try again through the queue, after a delay. */
  readonly retry: readonly { readonly inbox: string; readonly delaySeconds: number }[];
  /** Inboxes parked here until the host recovers. */
  readonly parked: readonly string[];
  readonly failures: number;
}

export interface HostStatus {
  readonly host: string | null;
  readonly failures: number;
  readonly failureDays: number;
  readonly circuit: "closed" | "open" | "halfOpen";
  readonly unavailable: boolean;
  readonly nextAttemptAt: number | null;
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
  readonly results: readonly DeliveryResult[];
  /** The flavour the host accepted, when it is not the one it was asked with. */
  readonly flavour?: SignatureFlavour;
}

interface StateRow extends Record<string, SqlStorageValue> {
  reported_health: string | null;
  host: string | null;
  failures: number;
  failure_days: string;
  open_until: number | null;
  probe_started_at: number | null;
  unavailable: number;
  flavour: string;
}

/** Whether a probe was sent and has not yet been reported back, or given up on. */
const probing = (state: StateRow, now: number): boolean =>
  state.probe_started_at !== null && now - state.probe_started_at < PROBE_TIMEOUT_MS;

export class HostState extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly parked: Parked;
  /** The backoff's base: shortened on a development instance (`DEV_RETRY_BASE_MS`). */
  private readonly retryBaseMs: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    const parsed = parseConfig(env);
    // A misconfigured Worker refuses its requests and messages; here the default is safe.
    this.retryBaseMs = parsed.ok ? parsed.config.retryBaseMs : BASE_BACKOFF_MS;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS state (
        k INTEGER PRIMARY KEY CHECK (k = 1),
        host TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        failure_days TEXT NOT NULL DEFAULT '[]',
        open_until INTEGER,
        probe_started_at INTEGER,
        unavailable INTEGER NOT NULL DEFAULT 0,
        flavour TEXT NOT NULL DEFAULT 'cavage',
        reported_health TEXT
      );
      INSERT OR IGNORE INTO state (k) VALUES (1);
    `);
    this.parked = new Parked(this.sql);
  }

  private state(): StateRow {
    return this.sql.exec<StateRow>("SELECT * FROM state WHERE k = 1").one();
  }

  /** May these deliveries go now? If not, they are parked here. */
  async admit(request: AdmitRequest): Promise<Admission> {
    return this.counted(() => this.admitNow(request));
  }

  /** What happened to the deliveries `admit()` let through. */
  async report(report: ReportRequest): Promise<ReportAnswer> {
    return this.counted(async () => {
      const answer = await this.reportNow(report);
      await this.updateHealth();
      return answer;
    });
  }

  /** Probe once per backoff window; record as failed what waited past the retention. */
  override async alarm(): Promise<void> {
    await this.counted(async () => {
      await this.alarmNow();
      await this.updateHealth();
    });
  }

  /** Runs work with its own metrics, flushed once it is done. */
  private async counted<T>(work: () => Promise<T>): Promise<T> {
    const { result, recorder } = await recording(work);
    this.ctx.waitUntil(flush(this.env, recorder));
    return result;
  }

  /**
   * Mirrors this host's state into D1 (`host_states`) when it changes: deliveries read the
   * mirror, and ask this object only about hosts that are listed there.
   */
  private async updateHealth(): Promise<void> {
    const state = this.state();
    if (state.host === null) return;
    const health =
      state.unavailable === 1
        ? "unavailable"
        : state.open_until !== null || state.failures > 0
          ? "backingOff"
          : "healthy";
    const flavour = state.flavour as SignatureFlavour;
    const mirrored = `${health}|${flavour}|${state.open_until ?? ""}`;
    if (state.reported_health === mirrored) return;
    const db = createDb(this.env.DB);
    if (health === "healthy" && flavour === "cavage") {
      await db.delete(hostStates).where(eq(hostStates.host, state.host));
    } else {
      const row = {
        host: state.host,
        state: health,
        flavour,
        nextAttemptAt: state.open_until === null ? null : new Date(state.open_until),
        updatedAt: new Date(),
      } as const;
      await db
        .insert(hostStates)
        .values(row)
        .onConflictDoUpdate({ target: hostStates.host, set: row });
    }
    this.sql.exec("UPDATE state SET reported_health = ? WHERE k = 1", mirrored);
  }

  private async admitNow(request: AdmitRequest): Promise<Admission> {
    const now = Date.now();
    const state = this.state();
    if (state.host === null) this.sql.exec("UPDATE state SET host = ? WHERE k = 1", request.host);
    const flavour = state.flavour as SignatureFlavour;
    const open = state.open_until !== null || state.unavailable === 1;
    if (!open) return { send: true, flavour, probe: false };
    // A probe the alarm sent, or the first delivery after the backoff window: it goes, alone.
    // Not when others are parked: they were published first, and the alarm probes with those.
    const probeInFlight = probing(state, now);
    const due = !probeInFlight && now >= (state.open_until ?? 0);
    if (request.probe || (due && this.parked.count() === 0)) {
      this.sql.exec("UPDATE state SET probe_started_at = ? WHERE k = 1", now);
      return { send: true, flavour, probe: true };
    }
    this.parked.add(request, request.inboxes, now);
    const nextAttemptAt = due ? now : (state.open_until ?? now);
    await this.scheduleAlarm(nextAttemptAt);
    return { send: false, nextAttemptAt };
  }

  private async reportNow(report: ReportRequest): Promise<ReportAnswer> {
    const now = Date.now();
    // Healthy hosts are not asked before a delivery: the first word may be a report.
    this.sql.exec("UPDATE state SET host = coalesce(host, ?) WHERE k = 1", report.host);
    if (report.flavour !== undefined) {
      this.sql.exec("UPDATE state SET flavour = ? WHERE k = 1", report.flavour);
    }
    const hostUp = report.results.some(
      (r) => r.kind === "delivered" || r.kind === "gone" || r.kind === "rejected",
    );
    const hostDown = !hostUp && report.results.some((r) => r.kind === "hostFailure");
    const waits = report.results.filter((r) => r.kind === "retry");

    if (hostUp) {
      // Only a successful delivery resets a host; what was parked drains, in order.
      this.sql.exec(
        "UPDATE state SET failures = 0, failure_days = '[]', open_until = NULL, probe_started_at = NULL, unavailable = 0 WHERE k = 1",
      );
      this.parked.remove(
        report.activityId,
        report.results.map((r) => r.inbox),
      );
      await this.drain();
      const retry = report.results
        .filter((r) => r.kind === "hostFailure" || r.kind === "retry")
        .map((r) => ({
          inbox: r.inbox,
          delaySeconds: Math.max(r.retryAfter ?? 0, this.backoffSeconds(1)),
        }));
      return { retry, parked: [], failures: 0 };
    }

    const state = this.state();
    if (!hostDown) {
      // Only "try later" answers (429, 503, 401...): not a failure of the host.
      this.sql.exec("UPDATE state SET probe_started_at = NULL WHERE k = 1");
      const delay = Math.max(...waits.map((r) => r.retryAfter ?? 0), this.backoffSeconds(1));
      if (state.open_until !== null || state.unavailable === 1) {
        this.parked.add(
          report,
          waits.map((r) => r.inbox),
          now,
        );
        await this.scheduleAlarm(now + delay * 1000);
        return { retry: [], parked: waits.map((r) => r.inbox), failures: state.failures };
      }
      return {
        retry: waits.map((r) => ({ inbox: r.inbox, delaySeconds: delay })),
        parked: [],
        failures: state.failures,
      };
    }

    const failures = state.failures + 1;
    const days = new Set<number>(JSON.parse(state.failure_days) as number[]);
    days.add(dayOf(now));
    const unavailable = state.unavailable === 1 || days.size >= UNAVAILABLE_AFTER_DAYS;
    const wait = backoffMs(failures, { baseMs: this.retryBaseMs });
    const failing = report.results.filter((r) => r.kind === "hostFailure" || r.kind === "retry");
    if (failures >= BREAKER_THRESHOLD || unavailable || state.open_until !== null) {
      // The circuit opens (or stays open): park, and probe once the backoff has passed.
      const openUntil = now + wait;
      this.sql.exec(
        "UPDATE state SET failures = ?, failure_days = ?, open_until = ?, probe_started_at = NULL, unavailable = ? WHERE k = 1",
        failures,
        JSON.stringify([...days]),
        openUntil,
        unavailable ? 1 : 0,
      );
      this.parked.add(
        report,
        failing.map((r) => r.inbox),
        now,
      );
      await this.scheduleAlarm(openUntil);
      return { retry: [], parked: failing.map((r) => r.inbox), failures };
    }
    this.sql.exec(
      "UPDATE state SET failures = ?, failure_days = ?, probe_started_at = NULL WHERE k = 1",
      failures,
      JSON.stringify([...days]),
    );
    const delaySeconds = asQueueDelay(wait);
    return { retry: failing.map((r) => ({ inbox: r.inbox, delaySeconds })), parked: [], failures };
  }

  /** The backoff after `failures`, as a queue delay, on this instance's base. */
  private backoffSeconds(failures: number): number {
    return backoffSeconds(failures, { baseMs: this.retryBaseMs });
  }

  async status(): Promise<HostStatus> {
    const state = this.state();
    const now = Date.now();
    const open = state.open_until !== null || state.unavailable === 1;
    const inFlight = probing(state, now);
    return {
      host: state.host,
      failures: state.failures,
      failureDays: (JSON.parse(state.failure_days) as number[]).length,
      circuit: !open ? "closed" : inFlight ? "halfOpen" : "open",
      unavailable: state.unavailable === 1,
      nextAttemptAt: state.open_until,
      parked: this.parked.count(),
      flavour: state.flavour as SignatureFlavour,
    };
  }

  private async alarmNow(): Promise<void> {
    const now = Date.now();
    await this.expireParked(now);
    const state = this.state();
    if (this.parked.count() === 0) return;
    const probeInFlight = probing(state, now);
    const due = state.open_until === null || now >= state.open_until;
    if (due && !probeInFlight) {
      // The earliest published goes first: were it drained after later ones, a host could
      // get a `Delete` before its `Create`.
      const [first] = this.parked.inOrder(1);
      if (first === undefined) return;
      this.sql.exec("UPDATE state SET probe_started_at = ? WHERE k = 1", now);
      const probe: DeliverMessage = {
        v: 1,
        type: "deliver",
        activityId: first.activity_id,
        inboxes: [first.inbox],
        probe: true,
      };
      await enqueue(this.env.DELIVERY_QUEUE, [{ body: probe }]);
      await this.scheduleAlarm(now + PROBE_TIMEOUT_MS);
      return;
    }
    await this.scheduleAlarm(
      probeInFlight
        ? (state.probe_started_at ?? now) + PROBE_TIMEOUT_MS
        : (state.open_until ?? now),
    );
  }

  /** Sends everything parked back to the queue, in publication order. */
  private async drain(): Promise<void> {
    const { rows, messages } = this.parked.take();
    if (messages.length === 0) return;
    try {
      await enqueue(
        this.env.DELIVERY_QUEUE,
        messages.map((body) => ({ body })),
      );
    } catch (error) {
      this.parked.restore(rows);
      throw error;
    }
  }

  /** Parked longer than the retention: recorded as failed (in D1), never dropped silently. */
  private async expireParked(now: number): Promise<void> {
    const expired = this.parked.olderThan(now - PARK_RETENTION_MS);
    if (expired.size === 0) return;
    const anyInbox = [...expired.values()][0]?.[0] ?? "https://unknown";
    const host = this.state().host ?? new URL(anyInbox).host;
    await recordFailures(
      createDb(this.env.DB),
      [...expired].map(([activityId, inboxes]) => ({
        activityId,
        host,
        state: "failed" as const,
        inboxes,
        error: "host unreachable for longer than the parking retention",
      })),
      new Date(now),
    );
    this.parked.removeOlderThan(now - PARK_RETENTION_MS);
  }

  private async scheduleAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
