/**
 * Where the owner's posts went: for each activity about a note (its `Create`, edits, its
 * `Delete`), how many hosts stand where (counted in D1), and a page of one activity's hosts
 * with where each delivery stands (the same records as `GET /api/v1/statuses/:id/deliveries`);
 * and the latest posts with a summary of each. Every read is bounded, however many hosts.
 */
import type { AppContext } from "../../context";
import { htmlToText } from "../../lib/html-text";
import { noteId } from "../../mastodon/ids";
import type { DeliveredActivity, HostsShown, PostLine } from "../../pages/admin/post-types";
import {
  type DeliveryCount,
  deliveryCounts,
  deliveryHostsPage,
  latestActivitiesAboutNotesQuery,
  noteActivitiesQuery,
  recentOwnNotesQuery,
} from "../../storage/dashboard";
import type { HostDeliveryState } from "../../storage/deliveries";
import { noteByApiId } from "../../storage/notes";

const TYPES = ["Create", "Update", "Delete"] as const;
/** Posts the list shows. */
export const RECENT_POSTS = 30;
/** Activities about one post its page lists: the latest (a post edited more shows its last). */
export const MAX_ACTIVITIES = 50;
/** Hosts a page of an activity's table shows. */
export const HOSTS_PER_PAGE = 100;
/** A post's text, as far as the list shows it. */
const EXCERPT = 140;

type Summary = Record<HostDeliveryState, number>;

const emptySummary = (): Summary => ({
  delivered: 0,
  pending: 0,
  retrying: 0,
  parked: 0,
  failed: 0,
});

/** Each activity's counts, by activity id. */
function summaries(counts: readonly DeliveryCount[]): Map<string, Summary> {
  const byActivity = new Map<string, Summary>();
  for (const { activityId, state, hosts } of counts) {
    const summary = byActivity.get(activityId) ?? emptySummary();
    summary[state] += hosts;
    byActivity.set(activityId, summary);
  }
  return byActivity;
}

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
  const latest = await latestActivitiesAboutNotesQuery(ctx.db, {
    actor: owner,
    objectIds: notes.map((n) => n.id),
    types: TYPES,
  });
  const counts = summaries(
    await deliveryCounts(
      ctx.db,
      latest.map((a) => a.id),
    ),
  );
  const byNote = new Map(latest.map((a) => [a.objectId, a]));
  return notes.map((note) => {
    const activity = byNote.get(note.id);
    return {
      apiId: noteId(note),
      text: excerpt(note),
      published: note.published,
      deleted: note.deletedAt !== null,
      visibility: note.visibility,
      latest: activity?.type,
      summary: (activity === undefined ? undefined : counts.get(activity.id)) ?? emptySummary(),
    };
  });
}

export interface PostDeliveries {
  readonly post: PostLine;
  /** In publication order; only the one `shown.activity` names carries its hosts. */
  readonly activities: readonly DeliveredActivity[];
  readonly shown: HostsShown;
  /** Earlier activities about the post, beyond `MAX_ACTIVITIES`, are not listed. */
  readonly earlier: boolean;
}

export interface PostQuery {
  readonly apiId: bigint;
  /** The activity whose hosts are listed (from 1); the latest when absent or out of range. */
  readonly activity?: number;
  /** The page of its hosts, from 1. */
  readonly page: number;
}

/** One post's activities and a page of one's deliveries; undefined when it is not the owner's. */
export async function postDeliveries(
  ctx: Pick<AppContext, "db" | "config">,
  query: PostQuery,
): Promise<PostDeliveries | undefined> {
  const owner = ctx.config.urls.owner.id;
  const note = await noteByApiId(ctx.db, query.apiId);
  if (note === undefined || note.attributedTo !== owner) return undefined;
  const newest = await noteActivitiesQuery(ctx.db, {
    actor: owner,
    objectId: note.id,
    types: TYPES,
    limit: MAX_ACTIVITIES + 1,
  });
  const activities = newest.slice(0, MAX_ACTIVITIES).reverse();
  const counts = summaries(
    await deliveryCounts(
      ctx.db,
      activities.map((a) => a.id),
    ),
  );
  const asked = query.activity ?? 0;
  const index = asked >= 1 && asked <= activities.length ? asked : activities.length;
  const listed = activities[index - 1];
  const hosts =
    listed === undefined
      ? []
      : await deliveryHostsPage(ctx.db, {
          activityId: listed.id,
          offset: (query.page - 1) * HOSTS_PER_PAGE,
          limit: HOSTS_PER_PAGE,
        });
  const shown = activities.map((activity, i) => ({
    ...activity,
    summary: counts.get(activity.id) ?? emptySummary(),
    hosts: i === index - 1 ? hosts : undefined,
  }));
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
    shown: { activity: index, page: query.page, perPage: HOSTS_PER_PAGE },
    earlier: newest.length > MAX_ACTIVITIES,
  };
}
