/**
 * The deliveries a host's object holds: handed to it by the queue consumer when the host
 * failed, was slow, or was already known to be failing, and sent by the object itself, in
 * the order their activities were published (a host must not get a `Delete` before its
 * `Create`). A row stays until its inbox is delivered, or refused for good; a refused row
 * waits (as `failed`) until the rest of its activity is settled, so that the record of the
 * activity says which inboxes refused it.
 */

export interface HeldRow extends Record<string, SqlStorageValue> {
  seq: number;
  activity_id: string;
  /** The activity's outbox seq; null for rows parked before it was kept. */
  activity_seq: number | null;
  inbox: string;
  parked_at: number;
  attempts: number;
}

export interface HeldActivity {
  readonly activityId: string;
  readonly activitySeq?: number;
}

/** Where an activity's held inboxes stand. */
export interface ActivityStanding {
  readonly pending: readonly string[];
  readonly failed: readonly { readonly inbox: string; readonly error: string }[];
}

export class Held {
  constructor(private readonly sql: SqlStorage) {}

  /** Deliveries still to send. */
  count(): number {
    return this.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM parked WHERE failed IS NULL")
      .one().n;
  }

  /** Holds these inboxes (a repeat changes nothing); `tried`: those just tried, which failed. */
  add(
    activity: HeldActivity,
    inboxes: readonly string[],
    at: { now: Date; tried?: ReadonlySet<string> },
  ) {
    for (const inbox of inboxes) {
      this.sql.exec(
        "INSERT OR IGNORE INTO parked (activity_id, inbox, parked_at, activity_seq, attempts) VALUES (?, ?, ?, ?, ?)",
        activity.activityId,
        inbox,
        at.now.getTime(),
        activity.activitySeq ?? null,
        at.tried?.has(inbox) ? 1 : 0,
      );
    }
  }

  /** An inbox the host refused for good, kept until the rest of its activity is settled. */
  refused(activity: HeldActivity, refusal: { inbox: string; error: string; now: Date }): void {
    const { inbox, error, now } = refusal;
    this.sql.exec(
      "INSERT OR IGNORE INTO parked (activity_id, inbox, parked_at, activity_seq, failed) VALUES (?, ?, ?, ?, ?)",
      activity.activityId,
      inbox,
      now.getTime(),
      activity.activitySeq ?? null,
      error,
    );
  }

  /** What to send next: in publication order, then holding order; rows from before the order was kept first. */
  next(limit: number): HeldRow[] {
    return this.sql
      .exec<HeldRow>(
        "SELECT seq, activity_id, activity_seq, inbox, parked_at, attempts FROM parked WHERE failed IS NULL ORDER BY coalesce(activity_seq, 0), seq LIMIT ?",
        limit,
      )
      .toArray();
  }

  delivered(seq: number): void {
    this.sql.exec("DELETE FROM parked WHERE seq = ?", seq);
  }

  /** Refused for good: kept, as failed, until its activity is settled. */
  failed(seq: number, error: string): void {
    this.sql.exec("UPDATE parked SET failed = ? WHERE seq = ?", error, seq);
  }

  /** Tried, and to be tried again; its attempts so far. */
  tried(seq: number): number {
    return this.sql
      .exec<{ attempts: number }>(
        "UPDATE parked SET attempts = attempts + 1 WHERE seq = ? RETURNING attempts",
        seq,
      )
      .one().attempts;
  }

  standing(activityId: string): ActivityStanding {
    const rows = this.sql
      .exec<{ inbox: string; failed: string | null }>(
        "SELECT inbox, failed FROM parked WHERE activity_id = ? ORDER BY seq",
        activityId,
      )
      .toArray();
    return {
      pending: rows.filter((r) => r.failed === null).map((r) => r.inbox),
      failed: rows.flatMap((r) => (r.failed === null ? [] : [{ inbox: r.inbox, error: r.failed }])),
    };
  }

  /** The activities with deliveries still to send, earliest published first. */
  activities(): string[] {
    return this.sql
      .exec<{ activity_id: string }>(
        "SELECT activity_id FROM parked WHERE failed IS NULL GROUP BY activity_id ORDER BY min(coalesce(activity_seq, 0))",
      )
      .toArray()
      .map((r) => r.activity_id);
  }

  /** Forgets an activity whose every inbox is settled (and recorded). */
  forget(activityId: string): void {
    this.sql.exec("DELETE FROM parked WHERE activity_id = ? AND failed IS NOT NULL", activityId);
  }

  /**
   * Marks what was held since before `before` as failed (the retention is over); the
   * activities it belongs to.
   */
  expire(before: Date): string[] {
    return this.sql
      .exec<{ activity_id: string }>(
        "UPDATE parked SET failed = ? WHERE parked_at < ? AND failed IS NULL RETURNING activity_id",
        EXPIRED,
        before.getTime(),
      )
      .toArray()
      .map((r) => r.activity_id)
      .filter((id, i, all) => all.indexOf(id) === i);
  }
}

/** What the record of an inbox held past the retention says. */
export const EXPIRED = "host unreachable for longer than the parking retention";
