/**
 * A muted account as Mastodon lists it (`mute_expires_at`). Pure. (The Relationship, blocks
 * and mutes included, is `accounts.ts`'s `serializeRelationshipOf`.)
 */
import type { Config } from "../env";
import type { ActorRow } from "../storage/schema";
import { type MastodonAccount, serializeActor } from "./serialize";

/** A muted account in `GET /api/v1/mutes`: an Account, with when its mute ends (or null). */
export function serializeMutedAccount(
  config: Config,
  muted: { actor: ActorRow; expiresAt: Date | null },
): MastodonAccount & { mute_expires_at: string | null } {
  return {
    ...serializeActor(config, muted.actor),
    mute_expires_at: muted.expiresAt?.toISOString() ?? null,
  };
}
