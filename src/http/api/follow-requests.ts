/**
 * The owner's follow requests, shaped like Mastodon's client API (`/api/v1/follow_requests`):
 * the accounts waiting (newest request first, paged by the request, as Mastodon pages them),
 * and the answers, `POST /:id/authorize` and `/:id/reject`, which federate `Accept` or
 * `Reject` of the account's `Follow` and answer the Relationship as it now is.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { answerFollowRequest } from "../../federation/publish/follow-requests";
import { parseMastodonId } from "../../mastodon/ids";
import { pageFollowRequests } from "../../storage/follows";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { ACCOUNTS_LIMITS } from "./account-lists";
import { accountsByActor, relationshipsWith } from "./account-views";
import { bySeq, linkHeader, parsePaging } from "./paging";

export const followRequests = new Hono<AppEnv>();
followRequests.use("*", requireOwner({ read: "read:follows", write: "write:follows" }));

followRequests.get("/", async (c) => {
  const { ctx } = c.var;
  const paging = parsePaging(c.req.query(), ACCOUNTS_LIMITS, "follow request");
  if (typeof paging === "string") return jsonError(c, 400, paging);
  const page = await pageFollowRequests(ctx.db, ctx.config.urls.owner.id, bySeq(paging.request));
  const accounts = await accountsByActor(
    ctx,
    page.items.map((item) => item.actor),
  );
  return c.json(
    page.items.flatMap((item) => accounts.get(item.actor) ?? []),
    200,
    linkHeader({
      url: `${ctx.config.origin}/api/v1/follow_requests`,
      kept: paging.kept,
      newest: page.items[0]?.seq.toString(),
      oldest: page.items.at(-1)?.seq.toString(),
      hasOlder: page.hasOlder,
    }),
  );
});

for (const [path, answer] of [
  ["authorize", "Accept"],
  ["reject", "Reject"],
] as const) {
  followRequests.post(`/:id/${path}`, async (c) => {
    const id = parseMastodonId(c.req.param("id"));
    if (id === undefined) return jsonError(c, 404, "Record not found");
    const result = await answerFollowRequest(c.var.ctx, id, answer);
    if (!result.ok) return jsonError(c, result.status, result.error);
    const [relationship] = await relationshipsWith(c.var.ctx, [result.value]);
    return c.json(relationship);
  });
}
