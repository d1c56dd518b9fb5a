/**
 * What apps read about the server before and right after signing in, public like Mastodon's:
 * the instance documents, its peers, activity and rules, and the custom emoji.
 */
import { Hono } from "hono";
import type { AppContext } from "../../context";
import type { AppEnv } from "../../env";
import {
  type InstanceInput,
  serializeInstance,
  serializeInstanceV1,
} from "../../mastodon/instance";
import { instanceCounts, peerHosts } from "../../storage/instance";
import { loadOwner } from "../../views/statuses";
import { MAX_STATUS_LENGTH } from "./statuses";

/** At most this many hosts in `/api/v1/instance/peers`. */
export const MAX_PEERS = 1000;

/** How long clients may keep what these routes answer (Mastodon's times). */
const FOR_3_MINUTES = { "Cache-Control": "public, max-age=180" };
const FOR_A_DAY = { "Cache-Control": "public, max-age=86400" };

export const instance = new Hono<AppEnv>();

async function input(ctx: Pick<AppContext, "db" | "config" | "now">): Promise<InstanceInput> {
  const { account, profile } = await loadOwner(ctx);
  return { config: ctx.config, owner: account, profile, maxCharacters: MAX_STATUS_LENGTH };
}

instance.get("/v2/instance", async (c) => {
  return c.json(serializeInstance(await input(c.var.ctx)), 200, FOR_3_MINUTES);
});

instance.get("/v1/instance", async (c) => {
  const { ctx } = c.var;
  const [document, counts] = await Promise.all([
    input(ctx),
    instanceCounts(ctx.db, ctx.config.urls.owner.id),
  ]);
  return c.json(serializeInstanceV1(document, counts), 200, FOR_3_MINUTES);
});

/** The hosts of the accounts Outpost knows (Mastodon: every domain it has an account of). */
instance.get("/v1/instance/peers", async (c) => {
  return c.json(await peerHosts(c.var.ctx.db, MAX_PEERS), 200, FOR_A_DAY);
});

/**
 * Mastodon counts, per week for twelve weeks, statuses, sign-ins and registrations. Outpost
 * records no sign-ins and has no registrations, so it reports no weeks rather than weeks of
 * made-up zeros; an empty list is what clients already handle for a new server.
 */
instance.get("/v1/instance/activity", (c) => c.json([], 200, FOR_A_DAY));

/** No server rules: a single-user instance has no one else to hold to them. */
instance.get("/v1/instance/rules", (c) => c.json([], 200, FOR_3_MINUTES));

/**
 * No custom emoji of its own; remote emoji travel in the statuses that use them. Apps load
 * this list at sign-in for their emoji picker.
 */
instance.get("/v1/custom_emojis", (c) => c.json([], 200, FOR_3_MINUTES));
