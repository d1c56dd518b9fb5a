/**
 * Whether a Mastodon account id is the owner's: the one place that knows how the owner's id
 * is made (`ownerAccountId`, from when the owner's local actor was created). Routes that
 * only need to tell the owner from no one ask this, not for the whole account, whose counts
 * cost more queries.
 */
import type { AppContext } from "../context";
import { isRemoteAccountId, ownerAccountId } from "../mastodon/ids";
import { ensureLocalActor } from "../storage/local-actors";

/**
 * Whether `id` names the owner. A remote account's id (odd) never does and reads nothing;
 * any other reads the owner's local actor row, one lookup by its key (creating the owner's
 * keys on first use, as every reader of that row does).
 */
export async function ownerIdIs(ctx: Pick<AppContext, "db" | "now">, id: bigint): Promise<boolean> {
  if (isRemoteAccountId(id)) return false;
  const owner = await ensureLocalActor(ctx.db, { role: "owner", now: ctx.now() });
  return ownerAccountId(owner.createdAt) === id.toString();
}
