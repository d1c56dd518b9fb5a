/** The owner's and the instance actor's key pairs: generated once, race-safely, never again. */
import { eq } from "drizzle-orm";
import type { LocalActorState } from "../activitypub/actor";
import { importPrivateKey } from "../signatures/algorithms";
import { fromBase64, generateRsaKeyPair } from "../signatures/keys";
import type { SigningKey } from "../signatures/sign";
import { type Batched, batched } from "./batched";
import type { Db } from "./db";
import { type LocalActorRole, localActors } from "./schema";

const publicColumns = {
  publicKeyPem: localActors.publicKeyPem,
  createdAt: localActors.createdAt,
};

/** A local actor's public state (a query, to run alone or in a batch); absent before its keys. */
export function localActorQuery(db: Db, role: LocalActorRole) {
  return db.select(publicColumns).from(localActors).where(eq(localActors.role, role));
}

/** A local actor's public state as a read to batch with others; undefined before its keys. */
export function localActorRead(db: Db, role: LocalActorRole): Batched<LocalActorState | undefined> {
  return batched(localActorQuery(db, role), ([row]) => row);
}

/**
 * Returns the stored actor, creating its key pair on first use (at `now`). Two first requests
 * may both generate a pair; `ON CONFLICT DO NOTHING` keeps the first one written, and both
 * read it back, so every caller sees the same key. The private key is not returned.
 */
export async function ensureLocalActor(
  db: Db,
  actor: { role: LocalActorRole; now: Date },
): Promise<LocalActorState> {
  const [existing] = await localActorQuery(db, actor.role);
  if (existing !== undefined) return existing;

  const pair = await generateRsaKeyPair();
  const [, [stored]] = await db.batch([
    db
      .insert(localActors)
      .values({ role: actor.role, ...pair, createdAt: actor.now })
      .onConflictDoNothing(),
    localActorQuery(db, actor.role),
  ]);
  if (stored === undefined) throw new Error(`local actor ${actor.role} could not be stored`);
  return stored;
}

const importedKeys = new Map<string, Promise<CryptoKey>>();

export interface SigningKeyRequest {
  readonly role: LocalActorRole;
  /** The key's id as published (`<actor>#main-key`). */
  readonly keyId: string;
  readonly now: Date;
  /** The stored key, when the caller already read it (with `privateKeyQuery`, in a batch). */
  readonly known?: { readonly pkcs8: string };
}

/**
 * The key a local actor signs with, imported once per isolate. Creates the key pair when it
 * does not exist yet (the instance actor's is made on its first signed fetch).
 */
export async function loadSigningKey(db: Db, request: SigningKeyRequest): Promise<SigningKey> {
  const { role } = request;
  let row = request.known ?? (await privateKeyQuery(db, role))[0];
  if (row === undefined) {
    await ensureLocalActor(db, request);
    [row] = await privateKeyQuery(db, role);
    if (row === undefined) throw new Error(`local actor ${role} has no key`);
  }
  let privateKey = importedKeys.get(row.pkcs8);
  if (privateKey === undefined) {
    privateKey = importPrivateKey(fromBase64(row.pkcs8), "rsa-v1_5-sha256");
    importedKeys.set(row.pkcs8, privateKey);
  }
  return { keyId: request.keyId, privateKey: await privateKey };
}

/** A local actor's private key (a query, to run alone or in a batch). Stays server-side. */
export function privateKeyQuery(db: Db, role: LocalActorRole) {
  return db
    .select({ pkcs8: localActors.privateKeyPkcs8 })
    .from(localActors)
    .where(eq(localActors.role, role));
}
