/** The owner's statuses, shaped like Mastodon's client API (`/api/v1/statuses`). */
import { type Context, Hono } from "hono";
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
import { boostStatus, statusById, statusesOf } from "../../views/statuses";
import { withBackground } from "../background";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { readInput } from "./input";
import { blankText, CreateStatus, EditStatus } from "./status-input";
import { STATUS_SCOPES, statusThreads } from "./status-threads";
import { visibleStatusById } from "./thread-views";

export { MAX_STATUS_LENGTH } from "./status-input";

export const statuses = new Hono<AppEnv>();
statuses.use(
  "*",
  requireOwner({
    read: "read:statuses",
    write: "write:statuses",
    except: STATUS_SCOPES,
  }),
);

/** Answers a status, or the action's error. */
async function answer(c: Context<AppEnv>, result: ActionResult<{ seq: number }>) {
  if (!result.ok) return jsonError(c, result.status, result.error);
  const [status] = await statusesOf(c.var.ctx, [result.value.seq]);
  return status === undefined ? jsonError(c, 404, "no such status") : c.json(status);
}

statuses.post("/", async (c) => {
  const input = await readInput(c, CreateStatus);
  if (!input.ok) return jsonError(c, input.status, input.error);
  const blank = blankText(input.value);
  if (blank !== undefined) return jsonError(c, 422, blank);
  const key = c.req.header("Idempotency-Key");
  if (key !== undefined && (key.length === 0 || key.length > 200)) {
    return jsonError(c, 422, "Validation failed: Idempotency-Key must be 1 to 200 characters");
  }
  const { status, visibility, in_reply_to_id, spoiler_text, sensitive, language, media_ids } =
    input.value;
  const { ctx } = c.var;
  // What the app leaves out, the owner's posting defaults give (Mastodon's `source`).
  const defaults = [visibility, sensitive, language].includes(undefined)
    ? await readProfile(ctx.db, ctx.config.owner)
    : undefined;
  const result = await publishStatus(
    withBackground(c),
    {
      text: status ?? "",
      visibility: visibility ?? defaults?.privacy ?? "public",
      inReplyTo: in_reply_to_id,
      spoilerText: spoiler_text,
      sensitive: sensitive ?? defaults?.sensitive,
      language: language ?? defaults?.language ?? undefined,
      mediaIds: media_ids,
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
  const input = await readInput(c, EditStatus);
  if (!input.ok) return jsonError(c, input.status, input.error);
  const { status, spoiler_text, sensitive, language, media_ids, media_attributes } = input.value;
  // As on Mastodon, an edit says the whole post: no text is none. Files left out stay.
  const edit = {
    text: status ?? "",
    spoilerText: spoiler_text,
    sensitive,
    language,
    mediaIds: media_ids,
    mediaAttributes: media_attributes,
  };
  return answer(c, await editStatus(withBackground(c), id, edit));
});

/** Deletes one of the owner's statuses; deleting the owner's boost undoes it, as in Mastodon. */
statuses.delete("/:id", async (c) => {
  const id = parseMastodonId(c.req.param("id"));
  if (id === undefined) return jsonError(c, 404, "no such status");
  if (isBoostId(id)) return undoBoost(c, id);
  const { ctx } = c.var;
  // Serialised before it goes: Mastodon answers with the deleted status.
  const before = await statusById(ctx, id);
  const result = await deleteStatus(withBackground(c), id);
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
  const result = await unreact(withBackground(c), id, "Announce");
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
    const acting = withBackground(c);
    const result = undo ? await unreact(acting, id, type) : await react(acting, id, type);
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
