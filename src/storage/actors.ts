/** Queries over remote actors. */
import { and, eq } from "drizzle-orm";
import type { Db } from "./db";
import { type ActorRow, actors } from "./schema";

export async function findActor(db: Db, id: string): Promise<ActorRow | undefined> {
  const [row] = await db.select().from(actors).where(eq(actors.id, id));
  return row;
}

/** By handle: `preferredUsername` as the actor spells it, and the lower-cased host. */
export async function findActorByHandle(
  db: Db,
  username: string,
  domain: string,
): Promise<ActorRow | undefined> {
  const [row] = await db
    .select()
    .from(actors)
    .where(and(eq(actors.preferredUsername, username), eq(actors.domain, domain.toLowerCase())));
  return row;
}
