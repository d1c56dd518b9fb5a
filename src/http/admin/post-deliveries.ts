/**
 * Where the owner's posts went: for each activity about a note (its `Create`, edits, its
 * `Delete`), each host and where its delivery stands (the same records as
 * `GET /api/v1/statuses/:id/deliveries`), and the latest posts with a summary of each.
 */
import type { AppContext } from "../../context";
import { htmlToText } from "../../lib/html-text";
import { noteId } from "../../mastodon/ids";
import type { DeliveredActivity, PostLine } from "../../pages/admin/post-types";
import { activitiesAboutNotesQuery, recentOwnNotesQuery } from "../../storage/dashboard";
import { deliveriesOf, type HostDeliveryState } from "../../storage/deliveries";
import { noteByApiId } from "../../storage/notes";
import { activitiesAbout } from "../../storage/outbox";

const TYPES = ["Create", "Update", "Delete"] as const;
/** Posts the list shows. */
export const RECENT_POSTS = 30;
/** A post's text, as far as the list shows it. */
const EXCERPT = 140;

const emptySummary = (): Record<HostDeliveryState, number> => ({
  delivered: 0,
  pending: 0,
  retrying: 0,
  parked: 0,
  failed: 0,
});

function excerpt(note: { content: string; summary: string | null }): string {
  const text = note.summary
    ? `[${note.summary}] ${htmlToText(note.content)}`
    : htmlToText(note.content);
  return text.length > EXCERPT ? `${text.slice(0, EXCERPT - 1)}…` : text;
}

/** The owner's latest posts, each with where its latest activity stands, host by host. */
export async function recentPosts(ctx: Pick<AppContext, "db" | "config">): Promise<PostLine[]> {
  const owner = ctx.config.urls.owner.id;
  const notes = await recentOwnNotesQuery(ctx.db, { owner, limit: RECENT_POSTS });
  if (notes.length === 0) return [];
  const activities = await activitiesAboutNotesQuery(ctx.db, {
    actor: owner,
    objectIds: notes.map((n) => n.id),
    types: TYPES,
  });
  // In publication order: the last about a note is its latest.
  const latest = new Map(activities.map((a) => [a.objectId, a]));
  const deliveries = await deliveriesOf(
    ctx.db,
    [...latest.values()].map((a) => a.id),
  );
  return notes.map((note) => {
    const activity = latest.get(note.id);
    const summary = emptySummary();
    for (const host of activity === undefined ? [] : (deliveries.get(activity.id) ?? [])) {
      summary[host.state]++;
    }
    return {
      apiId: noteId(note),
      text: excerpt(note),
      published: note.published,
      deleted: note.deletedAt !== null,
      visibility: note.visibility,
      latest: activity?.type,
      summary,
    };
  });
}

export interface PostDeliveries {
  readonly post: PostLine;
  readonly activities: readonly DeliveredActivity[];
}

/** One post's activities and their deliveries; undefined when it is not the owner's. */
export async function postDeliveries(
  ctx: Pick<AppContext, "db" | "config">,
  apiId: bigint,
): Promise<PostDeliveries | undefined> {
  const owner = ctx.config.urls.owner.id;
  const note = await noteByApiId(ctx.db, apiId);
  if (note === undefined || note.attributedTo !== owner) return undefined;
  const activities = await activitiesAbout(ctx.db, {
    actor: owner,
    objectId: note.id,
    types: TYPES,
  });
  const deliveries = await deliveriesOf(
    ctx.db,
    activities.map((a) => a.id),
  );
  const shown = activities.map((activity) => {
    const hosts = deliveries.get(activity.id) ?? [];
    const summary = emptySummary();
    for (const host of hosts) summary[host.state]++;
    return { ...activity, summary, hosts };
  });
  const last = shown.at(-1);
  return {
    post: {
      apiId: noteId(note),
      text: excerpt(note),
      published: note.published,
      deleted: note.deletedAt !== null,
      visibility: note.visibility,
      latest: last?.type,
      summary: last?.summary ?? emptySummary(),
    },
    activities: shown,
  };
}
