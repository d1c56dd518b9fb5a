/** Loading and serialising what the owner's API answers with: the owner, and statuses. */
import type { AppContext } from "../../context";
import {
  type MastodonAccount,
  type MastodonStatus,
  serializeOwner,
  serializeStatus,
} from "../../mastodon/serialize";
import { ensureLocalActor } from "../../storage/local-actors";
import { notesBySeq } from "../../storage/notes";
import { profileSummary } from "../../storage/profile";
import type { NoteRow } from "../../storage/schema";
import { loadStatusData } from "../../storage/statuses";

type ViewContext = Pick<AppContext, "db" | "config" | "now">;

/** The owner as a Mastodon Account, with its counts. */
export async function ownerAccount(ctx: ViewContext): Promise<MastodonAccount> {
  const [state, summary] = await Promise.all([
    ensureLocalActor(ctx.db, { role: "owner", now: ctx.now() }),
    profileSummary(ctx.db, ctx.config.urls.owner.id, 0),
  ]);
  return serializeOwner(ctx.config, state.createdAt, summary);
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

/** Statuses by `seq`, in the order asked; missing and deleted ones are left out. */
export async function statusesOf(
  ctx: ViewContext,
  seqs: readonly number[],
): Promise<MastodonStatus[]> {
  if (seqs.length === 0) return [];
  const rows = await notesBySeq(ctx.db, seqs);
  const bySeq = new Map(rows.map((row) => [row.seq, row]));
  return statusesFor(
    ctx,
    seqs.flatMap((seq) => bySeq.get(seq) ?? []),
  );
}
