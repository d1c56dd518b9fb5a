/** Loading and serialising what the owner's API answers with: the owner, and statuses. */
import type { AppContext } from "../../context";
import { isBoostId } from "../../mastodon/ids";
import {
  type MastodonAccount,
  type MastodonStatus,
  serializeActor,
  serializeBoost,
  serializeOwner,
  serializeStatus,
} from "../../mastodon/serialize";
import { findActor } from "../../storage/actors";
import { ensureLocalActor } from "../../storage/local-actors";
import { liveNoteByApiId, notesBySeq } from "../../storage/notes";
import type { Profile } from "../../storage/owner-profile";
import { profileSummary } from "../../storage/profile";
import { boostByApiId } from "../../storage/reactions";
import type { NoteRow, ReactionRow } from "../../storage/schema";
import { loadStatusData } from "../../storage/statuses";

type ViewContext = Pick<AppContext, "db" | "config" | "now">;

/** The owner as a Mastodon Account, with its counts, and the profile it was made from. */
export async function loadOwner(
  ctx: ViewContext,
): Promise<{ account: MastodonAccount; profile: Profile }> {
  const { config } = ctx;
  const [state, summary] = await Promise.all([
    ensureLocalActor(ctx.db, { role: "owner", now: ctx.now() }),
    profileSummary(ctx.db, { actor: config.urls.owner.id, defaults: config.owner, limit: 0 }),
  ]);
  return { account: serializeOwner(config, state.createdAt, summary), profile: summary.profile };
}

/** The owner as a Mastodon Account, with its counts. */
export async function ownerAccount(ctx: ViewContext): Promise<MastodonAccount> {
  return (await loadOwner(ctx)).account;
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
  const view = { config: ctx.config, owner: account, data };
  return data.items.map((item) => serializeStatus(view, item));
}

/** Statuses by their notes' `seq`; missing and deleted ones are left out. */
export async function statusesBySeq(
  ctx: ViewContext,
  seqs: readonly number[],
): Promise<Map<number, MastodonStatus>> {
  if (seqs.length === 0) return new Map();
  const rows = await notesBySeq(ctx.db, seqs);
  const live = rows.filter((row) => row.deletedAt === null);
  // `statusesFor` keeps the order of the live rows it is given.
  const statuses = await statusesFor(ctx, live);
  return new Map(statuses.map((status, i) => [live[i]?.seq ?? -1, status]));
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
 * The status a Mastodon status id names: a note (not deleted), or a boost, which Mastodon
 * shows as a status of its own with the original inside it.
 */
export async function statusById(
  ctx: ViewContext,
  id: bigint,
): Promise<MastodonStatus | undefined> {
  if (isBoostId(id)) {
    const found = await boostByApiId(ctx.db, id);
    return found === undefined ? undefined : boostStatus(ctx, found);
  }
  const note = await liveNoteByApiId(ctx.db, id);
  if (note === undefined) return undefined;
  const [status] = await statusesFor(ctx, [note]);
  return status;
}
