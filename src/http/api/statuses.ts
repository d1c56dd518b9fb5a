/** The owner's statuses, shaped like Mastodon's client API (`/api/v1/statuses`). */
import { type Context, Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../env";
import type { ActionResult } from "../../federation/publish/commit";
import { react, unreact } from "../../federation/publish/reactions";
import { deleteStatus, editStatus, publishStatus } from "../../federation/publish/statuses";
import { isBoostId, noteId, parseMastodonId } from "../../mastodon/ids";
import { deliveriesOf } from "../../storage/deliveries";
import { findNote, noteByApiId } from "../../storage/notes";
import { activitiesAbout } from "../../storage/outbox";
import { readProfile } from "../../storage/owner-profile";
import { boostByApiId, findReaction } from "../../storage/reactions";
import { VISIBILITIES } from "../../storage/schema";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { Flag, readInput } from "./input";
import { STATUS_SCOPES, statusThreads } from "./status-threads";
import { visibleStatusById } from "./thread-views";
import { boostStatus, statusById, statusesOf } from "./views";

/** Characters per status (Mastodon's default is 500; a single-user instance can afford more). */
export const MAX_STATUS_LENGTH = 5000;

export const statuses = new Hono<AppEnv>();
statuses.use(
  "*",
  requireOwner({
    read: "read:statuses",
    write: "write:statuses",
    except: STATUS_SCOPES,
  }),
);

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
  visibility: v.optional(v.picklist(VISIBILITIES, "must be public, unlisted, private or direct")),
  in_reply_to_id: v.optional(
    v.pipe(
      v.string("must be a status id"),
      v.rawTransform(({ dataset, addIssue, NEVER }) => {
        const id = parseMastodonId(dataset.value);
        if (id !== undefined) return id;
        addIssue({ message: "must be a status id" });
        return NEVER;
      }),
    ),
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
  const { ctx } = c.var;
  // What the app leaves out, the owner's posting defaults give (Mastodon's `source`).
  const defaults = [visibility, sensitive, language].includes(undefined)
    ? await readProfile(ctx.db, ctx.config.owner)
    : undefined;
  const result = await publishStatus(
    ctx,
    {
      text: status,
      visibility: visibility ?? defaults?.privacy ?? "public",
      inReplyTo: in_reply_to_id,
      spoilerText: spoiler_text,
      sensitive: sensitive ?? defaults?.sensitive,
      language: language ?? defaults?.language ?? undefined,
    },
    key,
  );
  return answer(c, result);
});

/**
 * A note's status, any the owner may see, or a boost's (Mastodon answers the boost, the
 * original inside it).
 */
statuses.get("/:id", async (c) => {
  const id = parseMastodonId(c.req.param("id"));
  const status = id === undefined ? undefined : await visibleStatusById(c.var.ctx, id);
  return status === undefined ? jsonError(c, 404, "no such status") : c.json(status);
});

statuses.put("/:id", async (c) => {
  const id = parseMastodonId(c.req.param("id"));
  if (id === undefined) return jsonError(c, 404, "no such status");
  const input = await readInput(c, Edit);
  if (!input.ok) return jsonError(c, input.status, input.error);
  const { status, spoiler_text, sensitive, language } = input.value;
  const edit = { text: status, spoilerText: spoiler_text, sensitive, language };
  return answer(c, await editStatus(c.var.ctx, id, edit));
});

/** Deletes one of the owner's statuses; deleting the owner's boost undoes it, as in Mastodon. */
statuses.delete("/:id", async (c) => {
  const id = parseMastodonId(c.req.param("id"));
  if (id === undefined) return jsonError(c, 404, "no such status");
  if (isBoostId(id)) return undoBoost(c, id);
  const { ctx } = c.var;
  // Serialised before it goes: Mastodon answers with the deleted status.
  const before = await statusById(ctx, id);
  const result = await deleteStatus(ctx, id);
  if (!result.ok || before === undefined) return jsonError(c, 404, "no such status");
  return c.json(before);
});

/** Undoes the owner's boost of this id; answers the boost as it was. */
async function undoBoost(c: Context<AppEnv>, id: bigint) {
  const { ctx } = c.var;
  const found = await boostByApiId(ctx.db, id);
  if (found === undefined || found.boost.actor !== ctx.config.urls.owner.id) {
    return jsonError(c, 404, "no such status");
  }
  const before = await boostStatus(ctx, found);
  const result = await unreact(ctx, id, "Announce");
  if (!result.ok || before === undefined) return jsonError(c, 404, "no such status");
  return c.json(before);
}

for (const [path, type, undo] of [
  ["favourite", "Like", false],
  ["unfavourite", "Like", true],
  ["reblog", "Announce", false],
  ["unreblog", "Announce", true],
] as const) {
  statuses.post(`/:id/${path}`, async (c) => {
    const id = parseMastodonId(c.req.param("id"));
    if (id === undefined) return jsonError(c, 404, "no such status");
    const { ctx } = c.var;
    const result = undo ? await unreact(ctx, id, type) : await react(ctx, id, type);
    if (!result.ok || type !== "Announce" || undo) return answer(c, result);
    // A boost answers with the boost (its own id), the original inside it, as Mastodon does.
    const [boost, note] = await Promise.all([
      findReaction(ctx.db, {
        actor: ctx.config.urls.owner.id,
        type: "Announce",
        object: result.value.id,
      }),
      findNote(ctx.db, result.value.id),
    ]);
    const status =
      boost === undefined || note === undefined
        ? undefined
        : await boostStatus(ctx, { boost, note });
    return status === undefined ? jsonError(c, 404, "no such status") : c.json(status);
  });
}

/**
 * Where the owner's status has been delivered, per remote host, for each activity about
 * it (its Create, edits, its Delete): delivered, pending, retrying, parked or failed.
 */
statuses.get("/:id/deliveries", async (c) => {
  const id = parseMastodonId(c.req.param("id"));
  if (id === undefined) return jsonError(c, 404, "no such status");
  const { db, config } = c.var.ctx;
  const owner = config.urls.owner.id;
  // A deleted note too: where its `Delete` went is part of its story.
  const note = await noteByApiId(db, id);
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
    status_id: noteId(note),
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

// A status's context, history, source, who liked and boosted it; pins and bookmarks.
statuses.route("/", statusThreads);
