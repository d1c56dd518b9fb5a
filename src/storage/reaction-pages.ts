/**
 * Who liked or boosted a note, newest first, in pages as Mastodon pages them: likes by the
 * like's own `seq` (Mastodon's favourite id), boosts by the boost's status id. Each row
 * names its actor; the accounts are read apart (the owner is not among `actors`).
 */
import { and, eq } from "drizzle-orm";
import type { Db } from "./db";
import { boostIdSql } from "./ids";
import { type ApiPageRequest, type Page, type PageRequest, pageById, pageBySeq } from "./pages";
import { type ReactionRow, reactions } from "./schema";

export type Reacted = Pick<ReactionRow, "seq" | "actor" | "createdAt">;

const fields = { seq: reactions.seq, actor: reactions.actor, createdAt: reactions.createdAt };

/** A page of the likes of a note (through `reactions_once_unique`, sorted by `seq`). */
export function likersPage(
  db: Db,
  query: { note: string; request: PageRequest },
): Promise<Page<Reacted>> {
  return pageBySeq(reactions.seq, query.request, (where, orderBy, limit) =>
    db
      .select(fields)
      .from(reactions)
      .where(and(eq(reactions.object, query.note), eq(reactions.type, "Like"), where))
      .orderBy(orderBy)
      .limit(limit),
  );
}

/** A page of the boosts of a note, by their status ids. */
export function boostersPage(
  db: Db,
  query: { note: string; request: ApiPageRequest },
): Promise<Page<Reacted>> {
  return pageById(boostIdSql(), query.request, (where, orderBy, limit) =>
    db
      .select(fields)
      .from(reactions)
      .where(and(eq(reactions.object, query.note), eq(reactions.type, "Announce"), where))
      .orderBy(orderBy)
      .limit(limit),
  );
}
