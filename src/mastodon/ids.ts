/**
 * Mastodon-shaped ids. Every entity id the client API emits is a decimal string of a
 * positive 64-bit integer laid out as Mastodon's snowflakes are: milliseconds since the
 * epoch in the high 48 bits, 16 bits below them. Ids are therefore time-ordered, and a
 * longer id is a newer one (Tusky compares length, then text; Ivory parses them as Int64).
 *
 * The low 16 bits come from the row's `seq`, so an id is a pure function of the row and
 * storage can compute the same number in SQL (`storage/ids.ts`), where it is indexed:
 * - statuses share one space: a note's low bits are even, a boost's odd;
 * - accounts: a remote account's are odd, the owner's 0;
 * - notifications, apps and uploaded media use all 16 bits.
 *
 * The numbers pass 2^53, so they are BigInts here and strings in JSON, never `number`.
 */

/** The largest time an id holds, in ms (2^47 − 1: the year 6429), so ids stay positive. */
export const MAX_ID_TIME = 2 ** 47 - 1;
/** The largest id (2^63 − 1). */
export const MAX_ID = (1n << 63n) - 1n;

export type IdKind = "note" | "boost" | "account" | "notification" | "app" | "media";

/** The time part of an id: `ms` clamped into what an id can hold. */
export function idTime(ms: number): bigint {
  return BigInt(Math.min(Math.max(Math.trunc(ms), 0), MAX_ID_TIME));
}

/** The low 16 bits of a row of `kind` with this `seq`. */
export function idLowBits(kind: IdKind, seq: number): bigint {
  const s = BigInt(seq);
  switch (kind) {
    case "note":
      return (s & 32767n) << 1n;
    case "boost":
    case "account":
      return ((s & 32767n) << 1n) | 1n;
    default:
      return s & 65535n;
  }
}

/** The id of a row of `kind` stored at `time` (ms or a Date) with this `seq`. */
export function mastodonId(kind: IdKind, time: Date | number, seq: number): string {
  const ms = typeof time === "number" ? time : time.getTime();
  return ((idTime(ms) << 16n) | idLowBits(kind, seq)).toString();
}

/** The owner's account id: the time the owner was created, low bits 0. */
export function ownerAccountId(createdAt: Date): string {
  return (idTime(createdAt.getTime()) << 16n).toString();
}

/**
 * An id as a client sent it, or undefined when it cannot be one of ours: 1 to 19 digits,
 * at most 2^63 − 1. Leading zeros are accepted and dropped.
 */
export function parseMastodonId(value: string | undefined): bigint | undefined {
  if (value === undefined || !/^\d{1,19}$/.test(value)) return undefined;
  const id = BigInt(value);
  return id > MAX_ID ? undefined : id;
}

/** Whether a status id names a boost (odd) rather than a note (even). */
export const isBoostId = (id: bigint): boolean => (id & 1n) === 1n;

/** Whether an account id names a remote account (odd) rather than the owner (low bits 0). */
export const isRemoteAccountId = (id: bigint): boolean => (id & 1n) === 1n;

/** What the id of a stored row is computed from: its time and its `seq`. */
interface Stamped {
  readonly seq: number;
  readonly createdAt: Date;
}

/** A note's status id, from `published` (as `noteIdSql` computes it). */
export const noteId = (note: { readonly seq: number; readonly published: Date }): string =>
  mastodonId("note", note.published, note.seq);
/** A boost's status id, from the `Announce` reaction (as `boostIdSql` computes it). */
export const boostId = (reaction: Stamped): string =>
  mastodonId("boost", reaction.createdAt, reaction.seq);
/** A remote account's id, from the time it was first seen (as `accountIdSql` computes it). */
export const accountId = (actor: Stamped): string =>
  mastodonId("account", actor.createdAt, actor.seq);
/** A notification's id (as `notificationIdSql` computes it). */
export const notificationId = (row: Stamped): string =>
  mastodonId("notification", row.createdAt, row.seq);
/** An uploaded file's id (as `mediaIdSql` computes it). */
export const mediaId = (row: Stamped): string => mastodonId("media", row.createdAt, row.seq);

/**
 * The id of a note's `index`th attachment (at most 16 are stored): the note's time, 12 bits
 * of its `seq` and 4 of the index. A remote note's attachments are never looked up by id,
 * so these need only be distinct within a note and shaped like the others (the owner's own
 * uploads carry their media row's id instead).
 */
export function attachmentId(
  note: { readonly seq: number; readonly published: Date },
  index: number,
): string {
  const low = ((BigInt(note.seq) & 4095n) << 4n) | (BigInt(index) & 15n);
  return ((idTime(note.published.getTime()) << 16n) | low).toString();
}
