/**
 * The streaming API's events, made from what changed (`changes.ts`) once it is committed: each
 * status read and serialised as the REST API serialises it for the owner (`views/`), on the
 * streams whose timelines show it (each timeline's own condition, `storage/streamed.ts`), with
 * the filters of the stream's context applied as the timelines apply them (`applyFilters`: a
 * `hide` match is not sent there, a `warn` one carries `filtered`); each notification as
 * `/api/v1/notifications` lists it, none by an account the owner keeps away.
 *
 * A call's changes are read together: what each reads first, and what they share (the
 * owner's account, whether a filter is in force in each context), in one D1 batch. Only what
 * that cannot tell goes to D1 again: a boost's place in the home, the lists of a note whose
 * author is on some, the filters' rules where one is in force, a direct note's conversation.
 * A new note, a notification, a delete: one round trip, however many sockets listen.
 */
import { applyFilters, type StatusFilters } from "../mastodon/filters";
import { boostId, noteId } from "../mastodon/ids";
import { type MastodonNotification, serializeNotification } from "../mastodon/notifications";
import { type MastodonAccount, type MastodonStatus, serializeActor } from "../mastodon/serialize";
import { allOf, type Batched, batched, known, readBatched } from "../storage/batched";
import { conversationOfStatus } from "../storage/conversations";
import { filterInForceRead } from "../storage/filters";
import type { ListedNotification } from "../storage/notification-pages";
import type { ReactionRow } from "../storage/schema";
import type { FilterContext } from "../storage/schema-lists";
import { type StatusData, toStatusData } from "../storage/statuses";
import {
  type DeletedNote,
  deletedNoteRead,
  findBoostQuery,
  latestBoostsQuery,
  type StreamedNote,
  streamedNoteRead,
  writtenNotificationsRead,
  writtenStatusesRead,
} from "../storage/streamed";
import { homeBoost } from "../storage/timeline";
import { serializeConversations } from "../views/conversations";
import type { NotificationsView } from "../views/notifications";
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

/** The filter contexts events are judged in. */
type Judged = Extract<FilterContext, "home" | "public" | "notifications">;

/**
 * What a call's changes share, read beside their own first reads: the owner's account, and
 * whether a filter is in force in each context (its rules are read only where one is).
 */
interface Shared {
  readonly ctx: ViewContext;
  readonly owner: () => Promise<MastodonAccount>;
  readonly inForce: Readonly<Record<Judged, boolean>>;
}

/** A change's events, made once its first reads are in, with what the call shares. */
type Finish = (shared: Shared) => Promise<StreamEvent[]>;

/**
 * The filter contexts a change's events are judged in: a change with some needs what is
 * shared (it makes a status or a notification); the others need nothing of it.
 */
const JUDGED_IN: Readonly<Record<StreamChange["kind"], readonly Judged[]>> = {
  note: ["home", "public"],
  edit: ["home", "public"],
  boost: ["home"],
  boosted: ["home"],
  notifications: ["notifications"],
  delete: [],
  unboost: [],
  filters: [],
};

/** The events `changes` make, in their order; a change that shows nowhere makes none. */
export async function streamEvents(
  ctx: ViewContext,
  changes: readonly StreamChange[],
): Promise<StreamEvent[]> {
  const now = ctx.now();
  const contexts = new Set(changes.flatMap((change) => JUDGED_IN[change.kind]));
  const [shared, finishes] = await readBatched(ctx.db, [
    contexts.size > 0 ? sharedRead(ctx, { now, contexts }) : known(unshared(ctx)),
    allOf(
      changes.map((change) => firstRead(ctx, { change, now })),
      (all) => all,
    ),
  ]);
  const made = await Promise.all(finishes.map((finish) => finish(shared)));
  return made.flat();
}

/**
 * The owner's account and whether a filter is in force in each context the changes need, as
 * a read to batch with theirs (one not needed is taken as in force: its rules would be read).
 */
function sharedRead(
  ctx: ViewContext,
  { now, contexts }: { now: Date; contexts: ReadonlySet<Judged> },
): Batched<Shared> {
  const inForce = (context: Judged) =>
    contexts.has(context) ? filterInForceRead(ctx.db, context, now) : known(true);
  return allOf(
    [ownerRead(ctx), inForce("home"), inForce("public"), inForce("notifications")],
    ([owner, home, shown, notifications]) => {
      const account = owner.then((view) => view.account);
      // Awaited by the events that need it; a failure with none left is not unhandled.
      account.catch(() => undefined);
      return { ctx, owner: () => account, inForce: { home, public: shown, notifications } };
    },
  );
}

/** For changes that need nothing shared: the owner read only if asked, filters as if in force. */
function unshared(ctx: ViewContext): Shared {
  const inForce = { home: true, public: true, notifications: true };
  return { ctx, owner: () => ownerAccount(ctx), inForce };
}

/** A read, and the events made from what it read with what the call shares. */
function then<T>(
  read: Batched<T>,
  make: (value: T, shared: Shared) => StreamEvent[] | Promise<StreamEvent[]>,
): Batched<Finish> {
  return allOf([read], ([value]): Finish => {
    return async (shared) => make(value, shared);
  });
}

/** What a change reads first, in the call's batch, and how its events are made from it. */
function firstRead(
  ctx: ViewContext,
  { change, now }: { change: StreamChange; now: Date },
): Batched<Finish> {
  const { db } = ctx;
  switch (change.kind) {
    case "note":
    case "edit": {
      const event = change.kind === "note" ? "update" : "status.update";
      const found = streamedNoteRead(db, viewerOf(ctx), change.id);
      return then(found, async (note, shared) => noteEvents(shared, await note, event));
    }
    case "delete":
      return then(deletedNoteRead(db, change), (gone) => deleteEvents(ctx, gone));
    case "boost": {
      const found = batched(findBoostQuery(db, change.activity), ([boost]) => boost);
      return then(found, (boost, shared) => (boost ? homeBoostEvents(shared, boost) : []));
    }
    case "boosted": {
      const latest = batched(latestBoostsQuery(db, change.note), (boosts) => boosts.reverse());
      return then(latest, async (boosts, shared) => {
        const each = boosts.map((boost) => homeBoostEvents(shared, boost));
        return (await Promise.all(each)).flat();
      });
    }
    case "unboost":
      return then(known(change.statusId), (statusId) => [
        { streams: ["user"], event: "delete", payload: statusId },
      ]);
    case "notifications": {
      const written = { account: change.account, at: change.at, limit: MAX_NOTIFICATION_EVENTS };
      const owner = ctx.config.urls.owner.id;
      const read = allOf(
        [
          writtenNotificationsRead(db, { ...written, now }),
          writtenStatusesRead(db, { ...written, owner }),
        ],
        ([rows, data]) => ({ rows, data }),
      );
      return then(read, (notified, shared) => notificationEvents(shared, notified));
    }
    case "filters":
      return then(known(undefined), () => [
        { streams: ["user"], event: "filters_changed", payload: "" },
      ]);
  }
}

/** Whose timelines, and when mutes are judged. */
const viewerOf = (ctx: ViewContext) => ({ owner: ctx.config.urls.owner.id, now: ctx.now() });

/** The filters of a context, for a status; none read when no stream needs them, or none is in force. */
function filtersFor(
  shared: Shared,
  wanted: { context: Judged; streams: readonly StreamKey[]; note: string },
): Promise<StatusFilters> | undefined {
  if (wanted.streams.length === 0) return undefined;
  const { ctx, inForce } = shared;
  const { context, note } = wanted;
  return pageFilters(ctx, { context, now: ctx.now(), inForce: inForce[context], notes: [note] });
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
  shared: Shared,
  found: StreamedNote | undefined,
  event: "update" | "status.update",
): Promise<StreamEvent[]> {
  if (found === undefined) return [];
  const { ctx } = shared;
  const owner = ctx.config.urls.owner.id;
  const { id } = found.row;
  const data = toStatusData([found.row]);
  const hashtags = (data.items[0]?.tags ?? []).flatMap((t) => (t.type === "Hashtag" ? t.name : []));
  const places = placesOf(found, hashtags, owner);
  const home = homeStreams(places);
  const shown = publicStreams(places);
  const direct = event === "update" && found.row.visibility === "direct";
  if (home.length === 0 && shown.length === 0 && !direct) return [];
  const [account, homeFilters, publicFilters, conversation] = await Promise.all([
    shared.owner(),
    filtersFor(shared, { context: "home", streams: home, note: id }),
    filtersFor(shared, { context: "public", streams: shown, note: id }),
    direct ? conversationOfStatus(ctx.db, owner, BigInt(noteId(found.row))) : undefined,
  ]);
  const [status] = await serializeStatuses(ctx, data, account);
  if (status === undefined) return [];
  const conversations =
    conversation === undefined ? [] : await serializeConversations(ctx, [conversation], account);
  return [
    ...statusEvent(status, { event, streams: home, filters: homeFilters }),
    ...statusEvent(status, { event, streams: shown, filters: publicFilters }),
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
function deleteEvents(ctx: ViewContext, gone: DeletedNote | undefined): StreamEvent[] {
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
async function homeBoostEvents(shared: Shared, boost: ReactionRow): Promise<StreamEvent[]> {
  const { ctx } = shared;
  const entry = await homeBoost(ctx.db, viewerOf(ctx), BigInt(boostId(boost)));
  if (entry === undefined) return [];
  const streams = ["user"];
  const [owner, filters] = await Promise.all([
    shared.owner(),
    filtersFor(shared, { context: "home", streams, note: entry.row.id }),
  ]);
  const [status] = await entryStatuses(ctx, [entry], owner);
  return status === undefined ? [] : statusEvent(status, { event: "update", streams, filters });
}

/**
 * The notifications an activity wrote (by `account`, at `at`: their ids' millisecond), read
 * with the statuses they are about, as `/api/v1/notifications` lists them: none by an
 * account kept away, none about a status a `hide` filter of `notifications` matches.
 */
async function notificationEvents(
  shared: Shared,
  written: { readonly rows: readonly ListedNotification[]; readonly data: StatusData },
): Promise<StreamEvent[]> {
  if (written.rows.length === 0) return [];
  const { ctx } = shared;
  const view = { owner: await shared.owner(), inForce: shared.inForce.notifications };
  const rows = [...written.rows].reverse();
  const notifications = await serializeWritten(ctx, { rows, data: written.data, view });
  return notifications.map((n) => ({
    streams: NOTIFICATION_STREAMS,
    event: "notification",
    payload: JSON.stringify(n),
  }));
}

/**
 * Notifications and the status data of what they are about, read together, as
 * `serializeListed` makes them (`views/notifications.ts`): the statuses with the
 * `notifications` context's filters applied; one about a status gone, or hidden, left out.
 */
async function serializeWritten(
  ctx: ViewContext,
  written: {
    readonly rows: readonly ListedNotification[];
    readonly data: StatusData;
    readonly view: NotificationsView;
  },
): Promise<MastodonNotification[]> {
  const { rows, data, view } = written;
  const targets = rows.flatMap(({ notification: n }) => (n.target === "" ? [] : [n.target]));
  const context = "notifications";
  const [statuses, filters] = await Promise.all([
    serializeStatuses(ctx, data, view.owner),
    pageFilters(ctx, { context, now: ctx.now(), inForce: view.inForce, notes: targets }),
  ]);
  const kept = new Map(applyFilters(filters, statuses).map((status) => [status.uri, status]));
  return rows.flatMap(({ notification, account }) => {
    const { target } = notification;
    const status = target === "" ? undefined : kept.get(target);
    // A note that went away meanwhile takes its notification with it.
    if (target !== "" && status === undefined) return [];
    return [serializeNotification(notification, serializeActor(ctx.config, account), status)];
  });
}
