/**
 * The streaming API's events, made from what changed (`changes.ts`) once it is committed: each
 * status read and serialised as the REST API serialises it for the owner (`views/`), on the
 * streams whose timelines show it (each timeline's own condition, `storage/streamed.ts`), with
 * the filters of the stream's context applied as the timelines apply them (`applyFilters`: a
 * `hide` match is not sent there, a `warn` one carries `filtered`); each notification as
 * `/api/v1/notifications` lists it, none by an account the owner keeps away.
 */
import { applyFilters, type StatusFilters } from "../mastodon/filters";
import { boostId, idTime, noteId } from "../mastodon/ids";
import type { MastodonAccount, MastodonStatus } from "../mastodon/serialize";
import { readBatched } from "../storage/batched";
import { conversationOfStatus } from "../storage/conversations";
import { filterInForceRead } from "../storage/filters";
import { listNotificationsRead } from "../storage/notification-pages";
import type { ReactionRow } from "../storage/schema";
import type { FilterContext } from "../storage/schema-lists";
import { toStatusData } from "../storage/statuses";
import {
  deletedNote,
  findBoostQuery,
  latestBoostsQuery,
  type StreamedNote,
  streamedNote,
} from "../storage/streamed";
import { homeBoost } from "../storage/timeline";
import { serializeConversations } from "../views/conversations";
import { serializeListed } from "../views/notifications";
import {
  entryStatuses,
  ownerAccount,
  ownerRead,
  pageFilters,
  serializeStatuses,
  type ViewContext,
} from "../views/statuses";
import type { StreamChange } from "./changes";
import {
  deletedStreams,
  homeStreams,
  NOTIFICATION_STREAMS,
  publicStreams,
  type StatusPlaces,
} from "./routing";
import type { StreamEvent, StreamEventName, StreamKey } from "./types";

/** The notifications of one change streamed, at most (an activity makes one). */
export const MAX_NOTIFICATION_EVENTS = 5;

/** What making events shares across one call's changes: the owner's account, read once. */
interface Making {
  readonly ctx: ViewContext;
  readonly owner: () => Promise<MastodonAccount>;
}

/** The events `changes` make, in their order; a change that shows nowhere makes none. */
export async function streamEvents(
  ctx: ViewContext,
  changes: readonly StreamChange[],
): Promise<StreamEvent[]> {
  let owner: Promise<MastodonAccount> | undefined;
  const making: Making = { ctx, owner: () => (owner ??= ownerAccount(ctx)) };
  const made = await Promise.all(changes.map((change) => eventsOf(making, change)));
  return made.flat();
}

function eventsOf(making: Making, change: StreamChange): Promise<StreamEvent[]> {
  switch (change.kind) {
    case "note":
      return noteEvents(making, change.id, "update");
    case "edit":
      return noteEvents(making, change.id, "status.update");
    case "delete":
      return deleteEvents(making, change);
    case "boost":
      return boostEvents(making, change.activity);
    case "boosted":
      return boostedEvents(making, change.note);
    case "unboost":
      return Promise.resolve([{ streams: ["user"], event: "delete", payload: change.statusId }]);
    case "notifications":
      return notificationEvents(making, change);
    case "filters":
      return Promise.resolve([{ streams: ["user"], event: "filters_changed", payload: "" }]);
  }
}

/** Whose timelines, and when mutes are judged. */
const viewerOf = (ctx: ViewContext) => ({ owner: ctx.config.urls.owner.id, now: ctx.now() });

/** The filters in force in a context, for a status; none read when no stream needs them. */
function filtersFor(
  ctx: ViewContext,
  wanted: { context: FilterContext; streams: readonly StreamKey[]; note: string },
): Promise<StatusFilters> | undefined {
  if (wanted.streams.length === 0) return undefined;
  const { context, note } = wanted;
  return pageFilters(ctx, { context, now: ctx.now(), inForce: true, notes: [note] });
}

/** A status's event on `streams`, as the context's filters leave it; none when they hide it. */
function statusEvent(
  status: MastodonStatus,
  target: { event: StreamEventName; streams: readonly StreamKey[]; filters?: StatusFilters },
): StreamEvent[] {
  const { event, streams, filters } = target;
  if (streams.length === 0 || filters === undefined) return [];
  const [shown] = applyFilters(filters, [status]);
  return shown === undefined ? [] : [{ streams, event, payload: JSON.stringify(shown) }];
}

/** Where a note goes, from what storage found of it and its tags. */
function placesOf(found: StreamedNote, hashtags: readonly string[], owner: string): StatusPlaces {
  const { row } = found;
  return {
    home: found.home,
    lists: found.lists,
    public: found.public,
    tagged: found.tagged && hashtags.length > 0,
    local: row.attributedTo === owner,
    media: (row.attachments ?? []).length > 0,
    hashtags,
  };
}

/**
 * A note stored or edited: `update` (`status.update`) on the home's streams and the public
 * ones that show it, each with its context's filters; a new direct note's conversation on
 * `direct`.
 */
async function noteEvents(
  making: Making,
  id: string,
  event: "update" | "status.update",
): Promise<StreamEvent[]> {
  const { ctx } = making;
  const viewer = viewerOf(ctx);
  const found = await streamedNote(ctx.db, viewer, id);
  if (found === undefined) return [];
  const data = toStatusData([found.row]);
  const hashtags = (data.items[0]?.tags ?? []).flatMap((t) => (t.type === "Hashtag" ? t.name : []));
  const places = placesOf(found, hashtags, viewer.owner);
  const home = homeStreams(places);
  const shared = publicStreams(places);
  const direct = event === "update" && found.row.visibility === "direct";
  if (home.length === 0 && shared.length === 0 && !direct) return [];
  const [owner, homeFilters, publicFilters, conversation] = await Promise.all([
    making.owner(),
    filtersFor(ctx, { context: "home", streams: home, note: id }),
    filtersFor(ctx, { context: "public", streams: shared, note: id }),
    direct ? conversationOfStatus(ctx.db, viewer.owner, BigInt(noteId(found.row))) : undefined,
  ]);
  const [status] = await serializeStatuses(ctx, data, owner);
  if (status === undefined) return [];
  const conversations =
    conversation === undefined ? [] : await serializeConversations(ctx, [conversation], owner);
  return [
    ...statusEvent(status, { event, streams: home, filters: homeFilters }),
    ...statusEvent(status, { event, streams: shared, filters: publicFilters }),
    ...conversations.map(
      (c): StreamEvent => ({
        streams: ["direct"],
        event: "conversation",
        payload: JSON.stringify(c),
      }),
    ),
  ];
}

/** A note deleted: `delete` with its status id, wherever it may have been shown. */
async function deleteEvents(
  making: Making,
  change: { readonly id: string; readonly at: Date },
): Promise<StreamEvent[]> {
  const { ctx } = making;
  const gone = await deletedNote(ctx.db, change);
  if (gone === undefined) return [];
  const { note } = gone;
  const streams = deletedStreams({
    visibility: note.visibility,
    local: note.attributedTo === ctx.config.urls.owner.id,
    hashtags: gone.hashtags,
    lists: gone.lists,
  });
  return [{ streams, event: "delete", payload: noteId(note) }];
}

/** A boost stored: `update` on `user` when the home shows it (its rules and falloff). */
async function boostEvents(making: Making, activity: string): Promise<StreamEvent[]> {
  const [boost] = await findBoostQuery(making.ctx.db, activity);
  return boost === undefined ? [] : homeBoostEvents(making, boost);
}

/** A boosted note stored late: its latest boosts, each as it comes into the home. */
async function boostedEvents(making: Making, note: string): Promise<StreamEvent[]> {
  const boosts = await latestBoostsQuery(making.ctx.db, note);
  const made = await Promise.all(boosts.reverse().map((boost) => homeBoostEvents(making, boost)));
  return made.flat();
}

async function homeBoostEvents(making: Making, boost: ReactionRow): Promise<StreamEvent[]> {
  const { ctx } = making;
  const entry = await homeBoost(ctx.db, viewerOf(ctx), BigInt(boostId(boost)));
  if (entry === undefined) return [];
  const streams = ["user"];
  const [owner, filters] = await Promise.all([
    making.owner(),
    filtersFor(ctx, { context: "home", streams, note: entry.row.id }),
  ]);
  const [status] = await entryStatuses(ctx, [entry], owner);
  return status === undefined ? [] : statusEvent(status, { event: "update", streams, filters });
}

/**
 * The notifications an activity wrote (by `account`, at `at`: their ids' millisecond), as
 * `/api/v1/notifications` lists them: none by an account kept away, none about a status a
 * `hide` filter of `notifications` matches.
 */
async function notificationEvents(
  making: Making,
  change: { readonly account: string; readonly at: Date },
): Promise<StreamEvent[]> {
  const { ctx } = making;
  const first = idTime(change.at.getTime()) << 16n;
  const now = ctx.now();
  // The notifications, the owner's account and whether a filter is in force: one round trip.
  const [rows, owner, inForce] = await readBatched(ctx.db, [
    listNotificationsRead(ctx.db, {
      sinceId: first - 1n,
      maxId: first + 65536n,
      limit: MAX_NOTIFICATION_EVENTS,
      now,
    }),
    ownerRead(ctx),
    filterInForceRead(ctx.db, "notifications", now),
  ]);
  const written = rows.filter((r) => r.notification.account === change.account).reverse();
  if (written.length === 0) return [];
  const { account } = await owner;
  const notifications = await serializeListed(ctx, written, { owner: account, inForce });
  return notifications.map((n) => ({
    streams: NOTIFICATION_STREAMS,
    event: "notification",
    payload: JSON.stringify(n),
  }));
}
