/** Loading and serialising what the owner's API answers with. */
import { inArray } from "drizzle-orm";
import type { Config } from "../../env";
import {
  loadStatusContext,
  type MastodonAccount,
  type MastodonStatus,
  serializeOwner,
  serializeStatus,
} from "../../mastodon/serialize";
import type { Db } from "../../storage/db";
import { ensureLocalActor } from "../../storage/local-actors";
import { profileSummary } from "../../storage/profile";
import { notes } from "../../storage/schema";

/** The owner as a Mastodon Account, with its counts. */
export async function ownerAccount(db: Db, config: Config): Promise<MastodonAccount> {
  const [state, summary] = await Promise.all([
    ensureLocalActor(db, "owner"),
    profileSummary(db, config.urls.owner.id, 0),
  ]);
  return serializeOwner(config, state.createdAt, summary);
}

/** Statuses by `seq`, in the order asked; missing ones are left out. */
export async function statusesOf(
  db: Db,
  config: Config,
  seqs: readonly number[],
): Promise<MastodonStatus[]> {
  if (seqs.length === 0) return [];
  const [owner, rows] = await Promise.all([
    ownerAccount(db, config),
    db
      .select()
      .from(notes)
      .where(inArray(notes.seq, [...seqs])),
  ]);
  const context = await loadStatusContext(db, config, owner, rows);
  const bySeq = new Map(context.items.map((item) => [item.note.seq, item]));
  return seqs.flatMap((seq) => {
    const item = bySeq.get(seq);
    return item === undefined || item.note.deletedAt !== null
      ? []
      : [serializeStatus(context, item)];
  });
}
