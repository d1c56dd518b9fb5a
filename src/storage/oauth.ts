/**
 * OAuth 2 state: client apps, authorization codes, access tokens and the owner's browser
 * sessions. Secrets (client secrets, codes, tokens, session ids) arrive here already hashed;
 * nothing here ever sees one in the clear.
 */
import { and, eq, gt, isNotNull, isNull, lt, sql } from "drizzle-orm";
import type { Db } from "./db";
import { appIdSql, idIs } from "./ids";
import {
  type OAuthAppRow,
  type OAuthCodeRow,
  type OAuthTokenRow,
  oauthApps,
  oauthCodes,
  oauthTokens,
  sessions,
} from "./schema";

export type NewApp = Omit<OAuthAppRow, "seq" | "authorizedAt">;

export async function createApp(db: Db, app: NewApp): Promise<OAuthAppRow> {
  const [row] = await db.insert(oauthApps).values(app).returning();
  if (row === undefined) throw new Error("app not stored");
  return row;
}

export async function findApp(db: Db, clientId: string): Promise<OAuthAppRow | undefined> {
  const [row] = await db.select().from(oauthApps).where(eq(oauthApps.clientId, clientId)).limit(1);
  return row;
}

/**
 * Removes an app the owner let in, by its API id, and with it its codes and tokens (foreign
 * keys cascade); whether there was one. Few apps: the id is computed, not indexed.
 */
export async function deleteAuthorizedApp(db: Db, id: bigint): Promise<boolean> {
  const removed = await db
    .delete(oauthApps)
    .where(and(idIs(appIdSql(), id), isNotNull(oauthApps.authorizedAt)))
    .returning({ seq: oauthApps.seq });
  return removed.length > 0;
}

export interface AuthorizedApp {
  readonly app: OAuthAppRow;
  readonly tokens: number;
  readonly scopes: string[];
  readonly lastUsedAt: Date | null;
}

/** Apps holding at least one token that acts as the owner, most recently authorised first. */
export async function authorizedApps(db: Db): Promise<AuthorizedApp[]> {
  const rows = await db
    .select({
      app: oauthApps,
      tokens: sql<number>`count(*)`,
      scopes: sql<string>`group_concat(${oauthTokens.scopes}, ' ')`,
      lastUsedAt: sql<number | null>`max(${oauthTokens.lastUsedAt})`,
      newest: sql<number>`max(${oauthTokens.createdAt})`,
    })
    .from(oauthTokens)
    .innerJoin(oauthApps, eq(oauthApps.seq, oauthTokens.appSeq))
    .where(eq(oauthTokens.kind, "user"))
    .groupBy(oauthApps.seq)
    .orderBy(sql`max(${oauthTokens.createdAt}) desc`)
    .limit(200);
  return rows.map((r) => ({
    app: r.app,
    tokens: r.tokens,
    scopes: [...new Set(r.scopes.split(" "))],
    lastUsedAt: r.lastUsedAt === null ? null : new Date(r.lastUsedAt),
  }));
}

export type NewCode = Omit<OAuthCodeRow, "tokenSeq">;

/** Stores a code the owner approved; the app counts as let in from then on. */
export async function storeCode(db: Db, code: NewCode): Promise<void> {
  await db.batch([
    db.insert(oauthCodes).values(code),
    db
      .update(oauthApps)
      .set({ authorizedAt: code.createdAt })
      .where(and(eq(oauthApps.seq, code.appSeq), isNull(oauthApps.authorizedAt))),
  ]);
}

export async function findCode(db: Db, codeHash: string): Promise<OAuthCodeRow | undefined> {
  const [row] = await db
    .select()
    .from(oauthCodes)
    .where(eq(oauthCodes.codeHash, codeHash))
    .limit(1);
  return row;
}

export interface Exchange {
  readonly codeHash: string;
  /** Codes created before this have expired. */
  readonly notBefore: Date;
  readonly tokenHash: string;
  readonly at: Date;
}

/**
 * Exchanges an unused, unexpired code for a token, in one batch (a transaction): the token
 * is inserted only while the code is unused, and the code then records it. Two concurrent
 * exchanges of one code cannot both succeed. Undefined when the code was not exchangeable.
 */
export async function exchangeCode(db: Db, exchange: Exchange): Promise<OAuthTokenRow | undefined> {
  const { codeHash, notBefore, tokenHash, at } = exchange;
  const usable = and(
    eq(oauthCodes.codeHash, codeHash),
    isNull(oauthCodes.tokenSeq),
    gt(oauthCodes.createdAt, notBefore),
  );
  const [inserted] = await db.batch([
    db
      .insert(oauthTokens)
      .select(
        db
          .select({
            seq: sql`null`.as("seq"),
            tokenHash: sql`${tokenHash}`.as("token_hash"),
            appSeq: oauthCodes.appSeq,
            kind: sql`'user'`.as("kind"),
            scopes: oauthCodes.scopes,
            createdAt: sql`${at.getTime()}`.as("created_at"),
            lastUsedAt: sql`null`.as("last_used_at"),
          })
          .from(oauthCodes)
          .where(usable),
      )
      .returning(),
    db
      .update(oauthCodes)
      .set({
        tokenSeq: sql`(select ${oauthTokens.seq} from ${oauthTokens} where ${oauthTokens.tokenHash} = ${tokenHash})`,
      })
      .where(usable),
  ]);
  return inserted[0];
}

/** A code presented again after its exchange: the token it gave is revoked (RFC 6749 §4.1.2). */
export async function revokeReplayed(db: Db, code: OAuthCodeRow): Promise<number | undefined> {
  if (code.tokenSeq === null) return undefined;
  const [removed] = await db
    .delete(oauthTokens)
    .where(eq(oauthTokens.seq, code.tokenSeq))
    .returning({ seq: oauthTokens.seq });
  return removed?.seq;
}

export type NewToken = Omit<OAuthTokenRow, "seq" | "lastUsedAt" | "kind">;

/**
 * An app's own token (client credentials), replacing the one it had: an app holds at most
 * one, so asking again and again writes no more rows.
 */
export async function storeAppToken(db: Db, token: NewToken): Promise<OAuthTokenRow> {
  const [, inserted] = await db.batch([
    db
      .delete(oauthTokens)
      .where(and(eq(oauthTokens.appSeq, token.appSeq), eq(oauthTokens.kind, "app"))),
    db
      .insert(oauthTokens)
      .values({ ...token, kind: "app" })
      .returning(),
  ]);
  const [row] = inserted;
  if (row === undefined) throw new Error("token not stored");
  return row;
}

export interface TokenWithApp {
  readonly token: OAuthTokenRow;
  readonly app: OAuthAppRow;
}

export async function findToken(db: Db, tokenHash: string): Promise<TokenWithApp | undefined> {
  // Two selects in one batch rather than a join: a D1 result must not name a column twice.
  const [tokens, apps] = await db.batch([
    db.select().from(oauthTokens).where(eq(oauthTokens.tokenHash, tokenHash)).limit(1),
    db
      .select()
      .from(oauthApps)
      .where(
        eq(
          oauthApps.seq,
          sql`(select ${oauthTokens.appSeq} from ${oauthTokens} where ${oauthTokens.tokenHash} = ${tokenHash})`,
        ),
      )
      .limit(1),
  ]);
  const [token] = tokens;
  const [app] = apps;
  return token === undefined || app === undefined ? undefined : { token, app };
}

/** Revokes a token of an app; whether there was one. */
export async function revokeToken(
  db: Db,
  token: { tokenHash: string; appSeq: number },
): Promise<number | undefined> {
  const [removed] = await db
    .delete(oauthTokens)
    .where(and(eq(oauthTokens.tokenHash, token.tokenHash), eq(oauthTokens.appSeq, token.appSeq)))
    .returning({ seq: oauthTokens.seq });
  return removed?.seq;
}

/** Notes when a token was used (the caller writes it at most hourly per token). */
export async function touchToken(db: Db, seq: number, at: Date): Promise<void> {
  await db.update(oauthTokens).set({ lastUsedAt: at }).where(eq(oauthTokens.seq, seq));
}

export async function createSession(
  db: Db,
  session: { tokenHash: string; at: Date; expiresAt: Date },
): Promise<void> {
  await db.insert(sessions).values({
    tokenHash: session.tokenHash,
    createdAt: session.at,
    expiresAt: session.expiresAt,
  });
}

/** Whether a session exists and has not expired. */
export async function sessionIsLive(db: Db, tokenHash: string, at: Date): Promise<boolean> {
  const [row] = await db
    .select({ one: sql`1` })
    .from(sessions)
    .where(and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, at)))
    .limit(1);
  return row !== undefined;
}

/** Ends a session (signing out): its row goes. */
export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
}

/**
 * The housekeeping's share: expired sessions, codes past their ten minutes, and apps that
 * registered over a day ago and were never let in (abandoned sign-ins, with the app tokens
 * they may hold), at most `limit` each.
 */
export async function pruneOAuth(
  db: Db,
  query: { at: Date; codesBefore: Date; appsBefore: Date; limit: number },
): Promise<void> {
  const { at, codesBefore, appsBefore, limit } = query;
  await db.batch([
    db
      .delete(sessions)
      .where(
        sql`${sessions.tokenHash} in (select ${sessions.tokenHash} from ${sessions} where ${lt(sessions.expiresAt, at)} limit ${limit})`,
      ),
    db
      .delete(oauthCodes)
      .where(
        sql`${oauthCodes.codeHash} in (select ${oauthCodes.codeHash} from ${oauthCodes} where ${lt(oauthCodes.createdAt, codesBefore)} limit ${limit})`,
      ),
    db
      .delete(oauthApps)
      .where(
        sql`${oauthApps.seq} in (select ${oauthApps.seq} from ${oauthApps} where ${lt(oauthApps.createdAt, appsBefore)} and ${isNull(oauthApps.authorizedAt)} limit ${limit})`,
      ),
  ]);
}
