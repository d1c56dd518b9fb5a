/**
 * Remote accounts as the owner looks at them: what we know (D1, and the extras KV keeps),
 * refreshed in the background. A request answers from what is stored and never fetches
 * inline; when the account was last asked for `ACCOUNT_REFRESH_SECONDS` ago or more (or
 * never), it asks for one refresh, a queue message (`queue/fetch-account.ts`); never of an
 * account the owner blocked, or on a domain they blocked.
 */
import {
  type AccountExtras,
  emptyExtras,
  readAccountExtras,
  refreshDue,
  writeAccountExtras,
} from "../cache/account-extras";
import type { AppContext } from "../context";
import { isKeptAway } from "../storage/safety";
import type { ActorRow } from "../storage/schema";
import { enqueue } from "./queue/send";

/**
 * The account's extras, asking for a refresh when one is due. Never throws: a refresh that
 * cannot be asked for is logged, and the account answered as stored. The mark is written
 * once the message is sent, so that a send that failed is asked again at the next look, and
 * the requests of the next minutes (an app reads an account's profile, its posts and its
 * pins at once) do not ask again; requests at the very same moment may each ask, and the
 * refresh skips what was refreshed a moment before (`queue/fetch-account.ts`). An account
 * the owner blocked, or on a domain they blocked, is never refreshed: nothing is asked of
 * it.
 */
export async function freshenAccount(
  ctx: Pick<AppContext, "db" | "cache" | "queue" | "now">,
  actor: Pick<ActorRow, "id" | "domain">,
): Promise<AccountExtras | undefined> {
  const extras = await readAccountExtras(ctx.cache, actor.id);
  const now = ctx.now();
  if (!refreshDue(extras, now)) return extras;
  if (await isKeptAway(ctx.db, { actor: actor.id, domain: actor.domain })) return extras;
  try {
    await enqueue(ctx, [{ body: { v: 1, type: "fetchObject", id: actor.id, purpose: "account" } }]);
  } catch (error) {
    console.warn(
      `account: refresh of ${actor.id} not queued: ${error instanceof Error ? error.message : "error"}`,
    );
    return extras;
  }
  const requestedAt = now.getTime();
  await writeAccountExtras(
    ctx.cache,
    actor.id,
    extras === undefined ? emptyExtras(requestedAt) : { ...extras, requestedAt },
  );
  return extras;
}
