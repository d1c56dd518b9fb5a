/**
 * The owner mutes an account, for a while or for good, and unmutes it. A mute is the
 * owner's alone: nothing is sent; the timelines and notifications leave the account out
 * (`authorShown`, `storage/safety.ts`) until it ends.
 */
import type { AppContext } from "../../context";
import { actorByApiId } from "../../storage/actors";
import { runBatch } from "../../storage/db";
import { muteStatement, unmuteStatement } from "../../storage/safety";
import type { ActorRow } from "../../storage/schema";
import { type ActionResult, fail } from "./commit";

export interface MuteOptions {
  /** Whether the account's notifications are hidden too (Mastodon's default: true). */
  readonly notifications: boolean;
  /** How long the mute lasts, in seconds; 0: until unmuted. */
  readonly duration: number;
}

/** Mutes an account, or changes its mute (which then starts again). */
export async function muteAccount(
  ctx: Pick<AppContext, "db" | "now">,
  id: bigint,
  options: MuteOptions,
): Promise<ActionResult<ActorRow>> {
  const { db } = ctx;
  const account = await actorByApiId(db, id);
  if (account === undefined) return fail(404, "Record not found");
  const now = ctx.now();
  const expiresAt = options.duration > 0 ? new Date(now.getTime() + options.duration * 1000) : null;
  await runBatch(db, [
    muteStatement(db, {
      actor: account.id,
      notifications: options.notifications,
      expiresAt,
      at: now,
    }),
  ]);
  return { ok: true, value: account };
}

/** Unmutes an account; one not muted stays as it is. */
export async function unmuteAccount(
  ctx: Pick<AppContext, "db">,
  id: bigint,
): Promise<ActionResult<ActorRow>> {
  const account = await actorByApiId(ctx.db, id);
  if (account === undefined) return fail(404, "Record not found");
  await runBatch(ctx.db, [unmuteStatement(ctx.db, account.id)]);
  return { ok: true, value: account };
}
