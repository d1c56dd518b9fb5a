/** The owner's and the instance actor's key pairs: generated once, race-safely, never again. */
import { eq } from "drizzle-orm";
import type { LocalActorState } from "../activitypub/actor";
import { generateRsaKeyPair } from "../signatures/keys";
import type { Db } from "./db";
import { type LocalActorRole, localActors } from "./schema";

const publicColumns = {
  publicKeyPem: localActors.publicKeyPem,
  createdAt: localActors.createdAt,
};

/**
 * Returns the stored actor, creating its key pair on first use. Two first requests may both
 * generate a pair; `ON CONFLICT DO NOTHING` keeps the first one written, and both read it
 * back, so every caller sees the same key. The private key is not returned.
 */
export async function ensureLocalActor(db: Db, role: LocalActorRole): Promise<LocalActorState> {
  const byRole = eq(localActors.role, role);
  const [existing] = await db.select(publicColumns).from(localActors).where(byRole);
  if (existing !== undefined) return existing;

  const pair = await generateRsaKeyPair();
  const [, [stored]] = await db.batch([
    db
      .insert(localActors)
      .values({ role, ...pair, createdAt: new Date() })
      .onConflictDoNothing(),
    db.select(publicColumns).from(localActors).where(byRole),
  ]);
  if (stored === undefined) throw new Error(`local actor ${role} could not be stored`);
  return stored;
}
