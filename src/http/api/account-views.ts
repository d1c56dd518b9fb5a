/**
 * Loading and serialising what the account routes answer: an account by Mastodon id (the
 * owner or a remote one), a remote account with what we know of it, lists of accounts, and
 * the owner's relationships with accounts.
 */
import type { AppContext } from "../../context";
import { freshenAccount } from "../../federation/accounts";
import { ownerIdIs } from "../../federation/owner-id";
import { serializeRelationshipOf, serializeRemoteAccount } from "../../mastodon/accounts";
import { accountId, isRemoteAccountId } from "../../mastodon/ids";
import { type MastodonAccount, serializeActor } from "../../mastodon/serialize";
import { knownActivity } from "../../storage/account-statuses";
import { actorByApiId, actorsById } from "../../storage/actors";
import { readRelationships } from "../../storage/relationships";
import type { ActorRow } from "../../storage/schema";
import { ownerAccount } from "../../views/statuses";

type ViewContext = Pick<AppContext, "db" | "config" | "now">;

/** The account an id names: the owner, or a stored remote actor. */
export type FoundAccount =
  | { readonly kind: "owner"; readonly actor: string }
  | { readonly kind: "remote"; readonly actor: string; readonly row: ActorRow };

/**
 * The account a Mastodon id names; undefined when it names none. Telling the owner's id
 * reads only the owner's local actor row; a caller that shows the owner loads their account.
 */
export async function findAccount(ctx: ViewContext, id: bigint): Promise<FoundAccount | undefined> {
  if (isRemoteAccountId(id)) {
    const row = await actorByApiId(ctx.db, id);
    return row === undefined ? undefined : { kind: "remote", actor: row.id, row };
  }
  return (await ownerIdIs(ctx, id))
    ? { kind: "owner", actor: ctx.config.urls.owner.id }
    : undefined;
}

/**
 * A remote account as its profile shows it: its counts and fields, from D1 and from what its
 * last refresh read; looking at it asks for a refresh when one is due.
 */
export async function remoteAccount(ctx: AppContext, row: ActorRow): Promise<MastodonAccount> {
  const [extras, counts] = await Promise.all([
    freshenAccount(ctx, row),
    knownActivity(ctx.db, row.id),
  ]);
  return serializeRemoteAccount(ctx.config, row, { counts, extras });
}

/**
 * Accounts by actor id (the owner's among them, when named); those not stored are left out.
 * Every list of accounts by actor (followers, requests, a status's likers) is read through it.
 */
export async function accountsByActor(
  ctx: ViewContext,
  ids: readonly string[],
): Promise<Map<string, MastodonAccount>> {
  const owner = ctx.config.urls.owner.id;
  const [rows, ownerEntry] = await Promise.all([
    actorsById(
      ctx.db,
      ids.filter((id) => id !== owner),
    ),
    ids.includes(owner) ? ownerAccount(ctx) : undefined,
  ]);
  const accounts = new Map<string, MastodonAccount>();
  for (const [id, row] of rows) accounts.set(id, serializeActor(ctx.config, row));
  if (ownerEntry !== undefined) accounts.set(owner, ownerEntry);
  return accounts;
}

/**
 * The owner's relationships with remote accounts, in their order: what `/relationships` and
 * every account action (follow, unfollow, block, mute, a follow request's answer) answer, so
 * that one state reads the same whichever route shows it.
 */
export async function relationshipsWith(ctx: ViewContext, rows: readonly ActorRow[]) {
  const facts = await readRelationships(ctx.db, {
    owner: ctx.config.urls.owner.id,
    accounts: rows,
    now: ctx.now(),
  });
  return rows.map((row) =>
    serializeRelationshipOf({ id: accountId(row), actor: row.id, domain: row.domain }, facts),
  );
}
