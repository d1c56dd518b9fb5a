/** Accounts, shaped like Mastodon's client API (`/api/v1/accounts`). */
import { eq } from "drizzle-orm";
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../env";
import { followAccount, type PublishContext, unfollowAccount } from "../../federation/publish";
import { parseHandle, resolveHandle } from "../../federation/resolve";
import { serializeActor, serializeRelationship } from "../../mastodon/serialize";
import { createDb } from "../../storage/db";
import { findFollow } from "../../storage/follows";
import { type ActorRow, actors } from "../../storage/schema";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { parseId } from "./input";
import { ownerAccount } from "./views";

export const accounts = new Hono<AppEnv>();
accounts.use("*", requireOwner());

accounts.get("/verify_credentials", async (c) => {
  const account = await ownerAccount(createDb(c.env.DB), c.var.config);
  const { owner } = c.var.config;
  return c.json({
    ...account,
    source: {
      privacy: "public",
      sensitive: false,
      language: null,
      note: owner.summary,
      fields: owner.fields.map((f) => ({ name: f.name, value: f.value, verified_at: null })),
      follow_requests_count: 0,
    },
  });
});

/** An account by handle, found through WebFinger when we do not know it yet. */
accounts.get("/lookup", async (c) => {
  const acct = c.req.query("acct");
  if (acct === undefined || acct.trim() === "")
    return jsonError(c, 400, "the acct parameter is required");
  const config = c.var.config;
  const db = createDb(c.env.DB);
  const local = acct.trim().replace(/^@/, "");
  if (local === config.owner.username || local === `${config.owner.username}@${config.host}`) {
    return c.json(await ownerAccount(db, config));
  }
  const handle = parseHandle(acct);
  if (handle === undefined) return jsonError(c, 400, "acct must be user@host");
  const resolved = await resolveHandle({ db, config, cache: c.env.ACTOR_CACHE }, handle);
  if (!resolved.ok) {
    return resolved.reason === "notFound"
      ? jsonError(c, 404, "Record not found")
      : jsonError(c, 502, "the account's server did not answer");
  }
  return c.json(serializeActor(config, resolved.actor));
});

async function bySeq(c: Context<AppEnv>): Promise<ActorRow | undefined> {
  const seq = parseId(c.req.param("id"));
  if (seq === undefined) return undefined;
  const [row] = await createDb(c.env.DB).select().from(actors).where(eq(actors.seq, seq));
  return row;
}

accounts.get("/:id", async (c) => {
  if (c.req.param("id") === "owner")
    return c.json(await ownerAccount(createDb(c.env.DB), c.var.config));
  const row = await bySeq(c);
  return row === undefined
    ? jsonError(c, 404, "Record not found")
    : c.json(serializeActor(c.var.config, row));
});

async function relationship(c: Context<AppEnv>, account: ActorRow) {
  const db = createDb(c.env.DB);
  const owner = c.var.config.urls.owner.id;
  const [following, followedBy] = await Promise.all([
    findFollow(db, account.id, owner),
    findFollow(db, owner, account.id),
  ]);
  return c.json(serializeRelationship(account, following, followedBy));
}

for (const [path, action] of [
  ["follow", followAccount],
  ["unfollow", unfollowAccount],
] as const) {
  accounts.post(`/:id/${path}`, async (c) => {
    const seq = parseId(c.req.param("id"));
    if (seq === undefined) return jsonError(c, 404, "Record not found");
    const ctx: PublishContext = {
      db: createDb(c.env.DB),
      config: c.var.config,
      env: c.env,
      now: new Date(),
    };
    const result = await action(ctx, seq);
    if (!result.ok) return jsonError(c, result.status, result.error);
    return relationship(c, result.value);
  });
}
