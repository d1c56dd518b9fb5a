/** The owner's statuses, shaped like Mastodon's client API (`/api/v1/statuses`). */
import { type Context, Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../env";
import type { ActionResult } from "../../federation/publish/commit";
import { react, unreact } from "../../federation/publish/reactions";
import { deleteStatus, editStatus, publishStatus } from "../../federation/publish/statuses";
import { deliveriesOf } from "../../storage/deliveries";
import { notesBySeq } from "../../storage/notes";
import { activitiesAbout } from "../../storage/outbox";
import { findReaction } from "../../storage/reactions";
import { VISIBILITIES } from "../../storage/schema";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { Flag, parseId, readInput } from "./input";
import { ownerAccount, statusesOf } from "./views";

/** Characters per status (Mastodon's default is 500; a single-user instance can afford more). */
export const MAX_STATUS_LENGTH = 5000;

export const statuses = new Hono<AppEnv>();
statuses.use("*", requireOwner());

const Text = v.pipe(
  v.string("must be text"),
  v.trim(),
  v.minLength(1, "can't be blank"),
  v.maxLength(MAX_STATUS_LENGTH, `is longer than ${MAX_STATUS_LENGTH} characters`),
);
const Common = {
  spoiler_text: v.optional(
    v.pipe(v.string("must be text"), v.maxLength(500, "is longer than 500 characters")),
  ),
  sensitive: v.optional(Flag),
  language: v.optional(
    v.pipe(v.string(), v.regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/, "must be a language code")),
  ),
};
const Create = v.object({
  status: Text,
  visibility: v.optional(
    v.picklist(VISIBILITIES, "must be public, unlisted, private or direct"),
    "public",
  ),
  in_reply_to_id: v.optional(
    v.pipe(v.string("must be a status id"), v.regex(/^\d{1,15}$/, "must be a status id")),
  ),
  ...Common,
});
const Edit = v.object({ status: Text, ...Common });

/** Answers a status, or the action's error. */
async function answer(c: Context<AppEnv>, result: ActionResult<{ seq: number }>) {
  if (!result.ok) return jsonError(c, result.status, result.error);
  const [status] = await statusesOf(c.var.ctx, [result.value.seq]);
  return status === undefined ? jsonError(c, 404, "no such status") : c.json(status);
}

statuses.post("/", async (c) => {
  const input = await readInput(c, Create);
  if (!input.ok) return jsonError(c, input.status, input.error);
  const key = c.req.header("Idempotency-Key");
  if (key !== undefined && (key.length === 0 || key.length > 200)) {
    return jsonError(c, 422, "Validation failed: Idempotency-Key must be 1 to 200 characters");
  }
  const { status, visibility, in_reply_to_id, spoiler_text, sensitive, language } = input.value;
  const result = await publishStatus(
    c.var.ctx,
    {
      text: status,
      visibility,
      inReplyTo: in_reply_to_id === undefined ? undefined : Number(in_reply_to_id),
      spoilerText: spoiler_text,
      sensitive,
      language,
    },
    key,
  );
  return answer(c, result);
});

statuses.get("/:id", async (c) => {
  const seq = parseId(c.req.param("id"));
  if (seq === undefined) return jsonError(c, 404, "no such status");
  const [status] = await statusesOf(c.var.ctx, [seq]);
  return status === undefined ? jsonError(c, 404, "no such status") : c.json(status);
});

statuses.put("/:id", async (c) => {
  const seq = parseId(c.req.param("id"));
  if (seq === undefined) return jsonError(c, 404, "no such status");
  const input = await readInput(c, Edit);
  if (!input.ok) return jsonError(c, input.status, input.error);
  const { status, spoiler_text, sensitive, language } = input.value;
  const edit = { text: status, spoilerText: spoiler_text, sensitive, language };
  return answer(c, await editStatus(c.var.ctx, seq, edit));
});

statuses.delete("/:id", async (c) => {
  const seq = parseId(c.req.param("id"));
  if (seq === undefined) return jsonError(c, 404, "no such status");
  const { ctx } = c.var;
  // Serialised before it goes: Mastodon answers with the deleted status.
  const [before] = await statusesOf(ctx, [seq]);
  const result = await deleteStatus(ctx, seq);
  if (!result.ok || before === undefined) return jsonError(c, 404, "no such status");
  return c.json(before);
});

for (const [path, type, undo] of [
  ["favourite", "Like", false],
  ["unfavourite", "Like", true],
  ["reblog", "Announce", false],
  ["unreblog", "Announce", true],
] as const) {
  statuses.post(`/:id/${path}`, async (c) => {
    const seq = parseId(c.req.param("id"));
    if (seq === undefined) return jsonError(c, 404, "no such status");
    const { ctx } = c.var;
    const result = undo ? await unreact(ctx, seq, type) : await react(ctx, seq, type);
    if (!result.ok || type !== "Announce" || undo) return answer(c, result);
    // A boost answers with the boost, the original inside it, as Mastodon does.
    const [original] = await statusesOf(ctx, [result.value.seq]);
    const boost = await findReaction(ctx.db, {
      actor: ctx.config.urls.owner.id,
      type: "Announce",
      object: result.value.id,
    });
    if (original === undefined || boost === undefined) return jsonError(c, 404, "no such status");
    return c.json({
      ...original,
      id: `${original.id}-boost-${boost.seq}`,
      uri: boost.id,
      url: boost.id,
      created_at: boost.createdAt.toISOString(),
      account: await ownerAccount(ctx),
      content: "",
      spoiler_text: "",
      mentions: [],
      tags: [],
      media_attachments: [],
      in_reply_to_id: null,
      in_reply_to_account_id: null,
      reblog: original,
    });
  });
}

/**
 * Where the owner's status has been delivered, per remote host, for each activity about
 * it (its Create, edits, its Delete): delivered, pending, retrying, parked or failed.
 */
statuses.get("/:id/deliveries", async (c) => {
  const seq = parseId(c.req.param("id"));
  if (seq === undefined) return jsonError(c, 404, "no such status");
  const { db, config } = c.var.ctx;
  const owner = config.urls.owner.id;
  // A deleted note too: where its `Delete` went is part of its story.
  const [note] = await notesBySeq(db, [seq]);
  if (note === undefined || note.attributedTo !== owner) {
    return jsonError(c, 404, "no such status");
  }
  const activities = await activitiesAbout(db, {
    actor: owner,
    objectId: note.id,
    types: ["Create", "Update", "Delete"],
  });
  const deliveries = await deliveriesOf(
    db,
    activities.map((a) => a.id),
  );
  return c.json({
    status_id: String(seq),
    activities: activities.map((activity) => {
      const hosts = deliveries.get(activity.id) ?? [];
      const summary = { delivered: 0, pending: 0, retrying: 0, parked: 0, failed: 0 };
      for (const host of hosts) summary[host.state]++;
      return {
        id: activity.id,
        type: activity.type,
        published: activity.published.toISOString(),
        summary,
        hosts: hosts.map((h) => ({
          host: h.host,
          state: h.state,
          attempts: h.attempts,
          last_error: h.lastError,
          next_attempt_at: h.nextAttemptAt?.toISOString() ?? null,
        })),
      };
    }),
  });
});
