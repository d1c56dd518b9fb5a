/**
 * Loading and serialising what the owner's API answers with, the pages and the streaming
 * API alike: the owner, and statuses.
 */
import type { AppContext } from "../context";
import { compileFilters, type StatusFilters } from "../mastodon/filters";
import { isBoostId } from "../mastodon/ids";
import {
  type MastodonAccount,
  type MastodonStatus,
  serializeActor,
  serializeBoost,
  serializeOwner,
  serializeStatus,
} from "../mastodon/serialize";
import type { AccountRow } from "../storage/account-rows";
import { findActor } from "../storage/actors";
import { allOf, type Batched, readBatched } from "../storage/batched";
import { activeFilters } from "../storage/filters";
import { ensureLocalActor, localActorRead } from "../storage/local-actors";
import { liveNoteByApiId } from "../storage/notes";
import type { Profile } from "../storage/owner-profile";
import { profileSummaryRead } from "../storage/profile";
import { boostByApiId } from "../storage/reactions";
import type { NoteRow, ReactionRow } from "../storage/schema";
import type { FilterContext } from "../storage/schema-lists";
import {
  loadStatusData,
  loadStatuses,
  type StatusData,
  type StatusRow,
  toStatusData,
} from "../storage/statuses";

/** What loading a view reads: D1, the configuration, the clock. */
export type ViewContext = Pick<AppContext, "db" | "config" | "now">;

/** The owner as a Mastodon Account, with its counts, and the profile it was made from. */
export interface OwnerView {
  readonly account: MastodonAccount;
  readonly profile: Profile;
}

/** The owner as a Mastodon Account, with its counts, and the profile it was made from. */
export async function loadOwner(ctx: ViewContext): Promise<OwnerView> {
  const [owner] = await readBatched(ctx.db, [ownerRead(ctx)]);
  return owner;
}

/**
 * What the owner's account is made from, as a read to batch with a page's own
 * (`storage/batched.ts`): its creation, its counts, its profile. Its value finishes the
 * account (`ownerOf`): it makes the owner's keys on the instance's very first request.
 */
export function ownerRead(ctx: ViewContext): Batched<Promise<OwnerView>> {
  const { config } = ctx;
  const summary = { actor: config.urls.owner.id, defaults: config.owner };
  return allOf(
    [localActorRead(ctx.db, "owner"), profileSummaryRead(ctx.db, summary)],
    async ([stored, read]) => {
      const state = stored ?? (await ensureLocalActor(ctx.db, { role: "owner", now: ctx.now() }));
      return { account: serializeOwner(config, state.createdAt, read), profile: read.profile };
    },
  );
}

/** The owner as a Mastodon Account, with its counts. */
export async function ownerAccount(ctx: ViewContext): Promise<MastodonAccount> {
  return (await loadOwner(ctx)).account;
}

/** Statuses from their data, in its order. `owner` is the owner's account when the caller has it. */
export async function serializeStatuses(
  ctx: ViewContext,
  data: StatusData,
  owner?: MastodonAccount,
): Promise<MastodonStatus[]> {
  if (data.items.length === 0) return [];
  const account = owner ?? (await ownerAccount(ctx));
  const view = { config: ctx.config, owner: account, data };
  return data.items.map((item) => serializeStatus(view, item));
}

/**
 * A timeline's statuses from its entries' rows, in their order: a note as its status, a
 * boost as a status of its own with the note's inside (by the owner, or by a booster still
 * stored). Each note is serialised once, however many entries show it.
 */
export async function entryStatuses(
  ctx: ViewContext,
  entries: readonly TimelineEntry[],
  owner?: MastodonAccount,
): Promise<MastodonStatus[]> {
  if (entries.length === 0) return [];
  const account = owner ?? (await ownerAccount(ctx));
  const data = toStatusData(entries.map((e) => e.row));
  const statuses = await serializeStatuses(ctx, data, account);
  const byNote = new Map(data.items.map((item, i) => [item.note.id, statuses[i]]));
  const ownerId = ctx.config.urls.owner.id;
  return entries.flatMap((entry) => {
    const status = byNote.get(entry.row.id);
    if (status === undefined) return [];
    if (entry.boost === undefined) return [status];
    const { boost, booster } = entry;
    const by = boost.actor === ownerId ? account : booster && serializeActor(ctx.config, booster);
    return by === undefined ? [] : [serializeBoost(boost, by, status)];
  });
}

/**
 * The filters a page applies in its context (`compileFilters`): their rules, with those of
 * the page's notes they name, read only when some filter is in force there (`inForce`, which
 * the caller read beside the page: `anyFilterInForce`).
 */
export async function pageFilters(
  ctx: ViewContext,
  page: { context: FilterContext; now: Date; inForce: boolean; notes: readonly string[] },
): Promise<StatusFilters> {
  const { context, now } = page;
  const active = page.inForce
    ? await activeFilters(ctx.db, { context, now, notes: page.notes })
    : [];
  return compileFilters(active, context, now);
}

/** An entry of a timeline: a note's status row, or a boost's with the note it boosts. */
export interface TimelineEntry {
  readonly row: StatusRow;
  readonly boost?: ReactionRow;
  readonly booster?: AccountRow;
}

/**
 * Statuses for note rows already read, in their order; deleted ones are left out. `owner`
 * is the owner's account when the caller has it already.
 */
export async function statusesFor(
  ctx: ViewContext,
  rows: readonly NoteRow[],
  owner?: MastodonAccount,
): Promise<MastodonStatus[]> {
  const live = rows.filter((row) => row.deletedAt === null);
  if (live.length === 0) return [];
  const [account, data] = await Promise.all([
    owner ?? ownerAccount(ctx),
    loadStatusData(ctx.db, { rows: live, owner: ctx.config.urls.owner.id }),
  ]);
  return serializeStatuses(ctx, data, account);
}

/** Statuses by their notes' `seq`; missing and deleted ones are left out. */
export async function statusesBySeq(
  ctx: ViewContext,
  seqs: readonly number[],
): Promise<Map<number, MastodonStatus>> {
  return statusesOfNotes(ctx, { seqs }, (item) => item.note.seq);
}

/**
 * Statuses by their notes' ids (ActivityPub); missing and deleted ones are left out. `owner`
 * is the owner's account when the caller has it (or reads it meanwhile).
 */
export async function statusesByNoteId(
  ctx: ViewContext,
  ids: readonly string[],
  owner?: MastodonAccount,
): Promise<Map<string, MastodonStatus>> {
  return statusesOfNotes(ctx, { ids, owner }, (item) => item.note.id);
}

/** Statuses of notes asked by `seq` or id, keyed as `key` says; one round trip with the owner. */
async function statusesOfNotes<K>(
  ctx: ViewContext,
  notes: { seqs?: readonly number[]; ids?: readonly string[]; owner?: MastodonAccount },
  key: (item: StatusData["items"][number]) => K,
): Promise<Map<K, MastodonStatus>> {
  const { seqs, ids } = notes;
  if ((seqs ?? ids ?? []).length === 0) return new Map();
  const [owner, data] = await Promise.all([
    notes.owner ?? ownerAccount(ctx),
    loadStatuses(ctx.db, { owner: ctx.config.urls.owner.id, seqs, ids }),
  ]);
  const statuses = await serializeStatuses(ctx, data, owner);
  return new Map(
    statuses.map((status, i) => [key(data.items[i] as StatusData["items"][number]), status]),
  );
}

/** Statuses by their notes' `seq`, in the order asked; missing and deleted ones are left out. */
export async function statusesOf(
  ctx: ViewContext,
  seqs: readonly number[],
): Promise<MastodonStatus[]> {
  const bySeq = await statusesBySeq(ctx, seqs);
  return seqs.flatMap((seq) => bySeq.get(seq) ?? []);
}

/** A boost as a status of its own, by whoever made it; undefined when its note is gone. */
export async function boostStatus(
  ctx: ViewContext,
  found: { boost: ReactionRow; note: NoteRow },
): Promise<MastodonStatus | undefined> {
  const { boost, note } = found;
  const byOwner = boost.actor === ctx.config.urls.owner.id;
  const [owner, booster] = await Promise.all([
    ownerAccount(ctx),
    byOwner ? undefined : findActor(ctx.db, boost.actor),
  ]);
  const account = byOwner ? owner : booster && serializeActor(ctx.config, booster);
  const [original] = await statusesFor(ctx, [note], owner);
  return original === undefined || account === undefined
    ? undefined
    : serializeBoost(boost, account, original);
}

/**
 * The status a Mastodon status id names: a note (not deleted; `findNote` may ask more, such
 * as that the owner may see it), or a boost, which Mastodon shows as a status of its own
 * with the original inside it.
 */
export async function statusById(
  ctx: ViewContext,
  id: bigint,
  findNote: (id: bigint) => Promise<NoteRow | undefined> = (n) => liveNoteByApiId(ctx.db, n),
): Promise<MastodonStatus | undefined> {
  if (isBoostId(id)) {
    const found = await boostByApiId(ctx.db, id);
    return found === undefined ? undefined : boostStatus(ctx, found);
  }
  const note = await findNote(id);
  if (note === undefined) return undefined;
  const [status] = await statusesFor(ctx, [note]);
  return status;
}
