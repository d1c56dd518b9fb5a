/**
 * The deliveries a host's object holds while the host is down, in the object's own SQLite
 * table (`schema.ts`), handed back in the order their activities were published: a host that
 * fails while the owner posts parks each activity when its own retries give up, not in the
 * order they were written, and must not get a `Delete` before its `Create`.
 */
import { MAX_INBOXES_PER_MESSAGE } from "../federation/delivery/policy";
import type { DeliverMessage } from "../federation/queue/messages";

export interface ParkedRow extends Record<string, SqlStorageValue> {
  seq: number;
  activity_id: string;
  /** The activity's outbox seq; null for rows parked before it was kept. */
  activity_seq: number | null;
  inbox: string;
  parked_at: number;
}

export interface ParkedActivity {
  readonly activityId: string;
  readonly activitySeq?: number;
}

export class Parked {
  constructor(private readonly sql: SqlStorage) {}

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM parked").one().n;
  }

  add({ activityId, activitySeq }: ParkedActivity, inboxes: readonly string[], now: Date) {
    for (const inbox of inboxes) {
      this.sql.exec(
        "INSERT OR IGNORE INTO parked (activity_id, inbox, parked_at, activity_seq) VALUES (?, ?, ?, ?)",
        activityId,
        inbox,
        now.getTime(),
        activitySeq ?? null,
      );
    }
  }

  remove(activityId: string, inboxes: readonly string[]): void {
    for (const inbox of inboxes) {
      this.sql.exec("DELETE FROM parked WHERE activity_id = ? AND inbox = ?", activityId, inbox);
    }
  }

  /** In publication order, then parking order; rows from before the order was kept first. */
  inOrder(limit = -1): ParkedRow[] {
    return this.sql
      .exec<ParkedRow>(
        "SELECT seq, activity_id, activity_seq, inbox, parked_at FROM parked ORDER BY coalesce(activity_seq, 0), seq LIMIT ?",
        limit,
      )
      .toArray();
  }

  /**
   * Takes everything out, in order, as deliver messages grouped by activity. The rows go at
   * once (no await), so that two drains cannot send them twice; `restore` puts them back if
   * the messages cannot be sent.
   */
  take(): { rows: ParkedRow[]; messages: DeliverMessage[] } {
    const rows = this.inOrder();
    this.sql.exec("DELETE FROM parked");
    const messages: { activityId: string; inboxes: string[] }[] = [];
    for (const row of rows) {
      const last = messages.at(-1);
      // As many inboxes to a message as the fan-out packs.
      if (last?.activityId === row.activity_id && last.inboxes.length < MAX_INBOXES_PER_MESSAGE) {
        last.inboxes.push(row.inbox);
      } else {
        messages.push({ activityId: row.activity_id, inboxes: [row.inbox] });
      }
    }
    return { rows, messages: messages.map((m) => ({ v: 1, type: "deliver", ...m })) };
  }

  restore(rows: readonly ParkedRow[]): void {
    for (const row of rows) {
      this.sql.exec(
        "INSERT OR IGNORE INTO parked (seq, activity_id, inbox, parked_at, activity_seq) VALUES (?, ?, ?, ?, ?)",
        row.seq,
        row.activity_id,
        row.inbox,
        row.parked_at,
        row.activity_seq,
      );
    }
  }

  /** The inboxes parked before `before`, by activity. */
  olderThan(before: Date): Map<string, string[]> {
    const rows = this.sql
      .exec<{ activity_id: string; inbox: string }>(
        "SELECT activity_id, inbox FROM parked WHERE parked_at < ?",
        before.getTime(),
      )
      .toArray();
    const byActivity = Map.groupBy(rows, (row) => row.activity_id);
    return new Map([...byActivity].map(([id, group]) => [id, group.map((row) => row.inbox)]));
  }

  removeOlderThan(before: Date): void {
    this.sql.exec("DELETE FROM parked WHERE parked_at < ?", before.getTime());
  }
}
