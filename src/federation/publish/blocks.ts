/**
 * The owner blocks an account (`Block`) or a whole domain, and lifts either. As Mastodon
 * does, a block ends the follows both ways and tells the other end of each: `Undo` of the
 * owner's `Follow`, `Reject` of theirs; an account's block then sends the `Block` itself,
 * and `Undo` of it lifts it. A domain block sends no `Block` (the inbox drops what the
 * domain sends from then on), only the ends of the follows, as Mastodon's does.
 *
 * What a block ends is claimed in one batch: the block and the edges are read as they were
 * and changed in the same transaction, so that what is told is what this block ended, and a
 * block given twice at once tells the account once.
 */
import { newObjectId } from "../../activitypub/urls";
import { purgePublic } from "../../cache/public-documents";
import type { AppContext } from "../../context";
import { actorByApiId } from "../../storage/actors";
import type { Statement } from "../../storage/db";
import { deleteEdgesBetweenStatement, domainEdgesQuery, edgeQuery } from "../../storage/follows";
import { forgetMemberStatement } from "../../storage/lists";
import { forgetBlockedNotifications } from "../../storage/notifications";
import { insertActivityStatement } from "../../storage/outbox";
import {
  blockDomainStatement,
  blockQuery,
  blockStatement,
  deleteDomainFollowsStatement,
  findBlock,
  unblockDomainStatement,
  unblockStatement,
} from "../../storage/safety";
import type { ActorRow, FollowRow } from "../../storage/schema";
import { type ActionResult, commit, fail } from "./commit";
import { answerFollow } from "./follow-requests";

/** Who follows the owner or whom they follow changed: the collections and counts. */
const FOLLOWS_CHANGED = [{ kind: "follows" }] as const;

/** Ids for several new activities of one moment, never the same twice. */
function activityIds(ctx: Pick<AppContext, "config">, at: Date): () => string {
  const given = new Set<string>();
  return () => {
    let id = ctx.config.urls.activity(newObjectId(at));
    while (given.has(id)) id = ctx.config.urls.activity(newObjectId(at));
    given.add(id);
    return id;
  };
}

/** Activities to store and deliver: their statements, and their ids (to fan out). */
interface Told {
  readonly ids: string[];
  readonly statements: Statement[];
}

/**
 * What tells the other end of each ended follow: `Undo` of the owner's `Follow`, `Reject`
 * of theirs, each addressed to that account alone.
 */
function tellEnded(
  ctx: AppContext,
  ended: readonly FollowRow[],
  made: { nextId: () => string; at: Date },
): Told {
  const owner = ctx.config.urls.owner.id;
  const told: Told = { ids: [], statements: [] };
  for (const edge of ended) {
    if (edge.follower !== owner) {
      const reject = answerFollow(ctx, edge, { type: "Reject", at: made.at, id: made.nextId() });
      told.ids.push(reject.id);
      told.statements.push(reject.statement);
      continue;
    }
    const payload = {
      id: made.nextId(),
      type: "Undo",
      actor: owner,
      to: [edge.actor],
      object: {
        ...(edge.activityId === null ? {} : { id: edge.activityId }),
        type: "Follow",
        actor: owner,
        object: edge.actor,
      },
    };
    told.ids.push(payload.id);
    told.statements.push(
      insertActivityStatement(ctx.db, {
        payload,
        objectId: edge.actor,
        visibility: "direct",
        published: made.at,
      }),
    );
  }
  return told;
}

/** Only accepted follows are counted and listed: what a block's ending of them purges. */
async function purgeEnded(ctx: AppContext, ended: readonly FollowRow[]): Promise<void> {
  if (ended.some((edge) => edge.state === "accepted")) {
    await purgePublic(ctx.config.urls, FOLLOWS_CHANGED);
  }
}

/**
 * Blocks an account: the follows both ways end (each told as Mastodon tells it), the
 * account leaves the owner's lists, its notifications are forgotten, then the `Block`, addressed to the account alone.
 * Blocking again sends nothing new.
 */
export async function blockAccount(ctx: AppContext, id: bigint): Promise<ActionResult<ActorRow>> {
  const { db } = ctx;
  const account = await actorByApiId(db, id);
  if (account === undefined) return fail(404, "Record not found");
  const owner = ctx.config.urls.owner.id;
  const at = ctx.now();
  const nextId = activityIds(ctx, at);
  const blockId = nextId();
  const [[block], [following], [followedBy]] = await db.batch([
    blockQuery(db, account.id),
    edgeQuery(db, { actor: account.id, follower: owner }),
    edgeQuery(db, { actor: owner, follower: account.id }),
    blockStatement(db, { actor: account.id, activityId: blockId, at }),
    deleteEdgesBetweenStatement(db, owner, account.id),
    forgetMemberStatement(db, account.id),
    forgetBlockedNotifications(db, account.id),
  ]);
  const ended = [following, followedBy].filter((edge) => edge !== undefined);
  const told = tellEnded(ctx, ended, { nextId, at });
  // The block is this request's when there was none before it.
  if (block === undefined) {
    const payload = {
      id: blockId,
      type: "Block",
      actor: owner,
      to: [account.id],
      object: account.id,
    };
    told.ids.push(blockId);
    told.statements.push(
      insertActivityStatement(db, {
        payload,
        objectId: account.id,
        visibility: "direct",
        published: at,
      }),
    );
  }
  await commit(ctx, told.statements, told.ids);
  await purgeEnded(ctx, ended);
  return { ok: true, value: account };
}

/** Lifts a block: `Undo` of the `Block` it sent. Unblocking an account not blocked is a no-op. */
export async function unblockAccount(ctx: AppContext, id: bigint): Promise<ActionResult<ActorRow>> {
  const { db, config } = ctx;
  const account = await actorByApiId(db, id);
  if (account === undefined) return fail(404, "Record not found");
  const block = await findBlock(db, account.id);
  if (block === undefined) return { ok: true, value: account };
  const owner = config.urls.owner.id;
  const now = ctx.now();
  const undo = {
    id: activityIds(ctx, now)(),
    type: "Undo",
    actor: owner,
    to: [account.id],
    object: { id: block.activityId, type: "Block", actor: owner, object: account.id },
  };
  await commit(
    ctx,
    [
      unblockStatement(db, account.id),
      insertActivityStatement(db, {
        payload: undo,
        objectId: account.id,
        visibility: "direct",
        published: now,
      }),
    ],
    [undo.id],
  );
  return { ok: true, value: account };
}

/**
 * Blocks a domain (a lower-cased host, checked by the caller): the follows both ways with
 * its actors end, each told to its account (`Undo` of the owner's, `Reject` of theirs, fanned
 * out like any activity), its actors leave the owner's lists, and the inbox drops its
 * activities. Blocking it again changes nothing.
 */
export async function blockDomain(ctx: AppContext, domain: string): Promise<void> {
  const { db } = ctx;
  const owner = ctx.config.urls.owner.id;
  const at = ctx.now();
  const [edges, , removed] = await db.batch([
    domainEdgesQuery(db, owner, domain),
    blockDomainStatement(db, domain, at),
    deleteDomainFollowsStatement(db, owner, domain),
    forgetMemberStatement(db, { domain }),
  ]);
  // Read in the transaction that deleted them: the same edges.
  const deleted = new Set(removed.map((edge) => edge.seq));
  const ended = edges.filter((edge) => deleted.has(edge.seq));
  const told = tellEnded(ctx, ended, { nextId: activityIds(ctx, at), at });
  await commit(ctx, told.statements, told.ids);
  await purgeEnded(ctx, ended);
}

/** Lifts a domain block; the follows it ended stay ended. */
export async function unblockDomain(ctx: Pick<AppContext, "db">, domain: string): Promise<void> {
  await ctx.db.batch([unblockDomainStatement(ctx.db, domain)]);
}
