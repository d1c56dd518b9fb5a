/**
 * The owner's notifications, shaped like Mastodon's client API: the plain list
 * (`/api/v1/notifications`) and the grouped one (`/api/v2/notifications`), where 15 likes of
 * a post are one group of 15 with up to 8 sample accounts.
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../env";
import { parseMastodonId } from "../../mastodon/ids";
import {
  type MastodonNotificationGroup,
  serializeNotificationGroup,
} from "../../mastodon/notifications";
import {
  type MastodonAccount,
  type MastodonStatus,
  serializeActor,
} from "../../mastodon/serialize";
import type { AccountRow } from "../../storage/account-rows";
import { readBatched } from "../../storage/batched";
import { runBatch } from "../../storage/db";
import { filterInForceRead } from "../../storage/filters";
import { pageGroups, pageGroupsRead } from "../../storage/notification-groups";
import {
  countUnread,
  listNotificationsRead,
  type NotificationRequest,
  notificationsReadUpTo,
} from "../../storage/notification-pages";
import { summarizeGroups } from "../../storage/notification-summaries";
import {
  clearNotificationsStatement,
  dismissGroupStatement,
  dismissNotificationQuery,
  GROUPABLE_TYPES,
} from "../../storage/notifications";
import { NOTIFICATION_TYPES, type NotificationType } from "../../storage/schema";
import { serializeListed, statusesAbout } from "../../views/notifications";
import { ownerRead } from "../../views/statuses";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { type Limits, linkHeader, type Paging, parsePaging } from "./paging";

/** Notifications (v1) or groups (v2) per page: Mastodon's default, and its maximum. */
export const DEFAULT_LIMIT = 40;
export const MAX_LIMIT = 80;

interface ListQuery {
  readonly request: NotificationRequest;
  /** The types grouped (v2 `grouped_types[]`); undefined for Mastodon's default. */
  readonly groupedTypes: readonly NotificationType[] | undefined;
  /** What the `Link` URLs repeat: the limit when given, and the type filters. */
  readonly kept: Paging["kept"];
}

/** Mastodon's type names (`admin.sign_up`, `severed_relationships`...): unknown ones match nothing. */
const TYPE_NAME = /^[a-z][a-z_.]{0,39}$/;

/** A list parameter, as `name[]=a&name[]=b` or `name=a`; an error message when malformed. */
function typeList(
  queries: Record<string, string[]>,
  name: string,
): { given: boolean; values: string[] } | string {
  const values = [...(queries[`${name}[]`] ?? []), ...(queries[name] ?? [])].filter(
    (v) => v !== "",
  );
  if (values.some((v) => !TYPE_NAME.test(v))) return `${name}[] must be notification types`;
  return { given: values.length > 0, values };
}

/** Reads paging and filters; an error message when a parameter is malformed. */
function parseListQuery(
  c: Context<AppEnv>,
  grouped: boolean,
  limits: Limits = { fallback: DEFAULT_LIMIT, max: MAX_LIMIT },
): ListQuery | string {
  const paging = parsePaging(c.req.query(), limits, "notification");
  if (typeof paging === "string") return paging;
  const queries = c.req.queries();
  const kept: (readonly [string, string])[] = [...paging.kept];
  const types = typeList(queries, "types");
  const excluded = typeList(queries, "exclude_types");
  const groupedList = grouped ? typeList(queries, "grouped_types") : { given: false, values: [] };
  if (typeof types === "string") return types;
  if (typeof excluded === "string") return excluded;
  if (typeof groupedList === "string") return groupedList;
  for (const [name, list] of [
    ["types[]", types],
    ["exclude_types[]", excluded],
    ["grouped_types[]", groupedList],
  ] as const) {
    for (const value of list.values) kept.push([name, value]);
  }
  // Mastodon's `browserable`: the types asked for (all by default) minus those excluded.
  const known = (values: readonly string[]) => NOTIFICATION_TYPES.filter((t) => values.includes(t));
  const wanted = (types.given ? known(types.values) : [...NOTIFICATION_TYPES]).filter(
    (t) => !excluded.values.includes(t),
  );
  return {
    request: {
      ...paging.request,
      types: wanted.length === NOTIFICATION_TYPES.length ? undefined : wanted,
      now: c.var.ctx.now(),
    },
    groupedTypes: groupedList.given
      ? GROUPABLE_TYPES.filter((t) => groupedList.values.includes(t))
      : undefined,
    kept,
  };
}

export const notificationsV1 = new Hono<AppEnv>();
notificationsV1.use(
  "*",
  requireOwner({ read: "read:notifications", write: "write:notifications" }),
);

notificationsV1.get("/", async (c) => {
  const query = parseListQuery(c, false);
  if (typeof query === "string") return jsonError(c, 400, query);
  const { ctx } = c.var;
  const { db, config } = ctx;
  // The owner's account (its statuses need it) in the page's round trip.
  const [owner, rows, inForce] = await readBatched(db, [
    ownerRead(ctx),
    listNotificationsRead(db, query.request),
    filterInForceRead(db, "notifications", query.request.now),
  ]);
  const { account } = await owner;
  const list = await serializeListed(ctx, rows, { owner: account, inForce });
  return c.json(
    list,
    200,
    linkHeader({
      url: `${config.origin}/api/v1/notifications`,
      kept: query.kept,
      newest: rows[0]?.id,
      oldest: rows.at(-1)?.id,
    }),
  );
});

/** What `unread_count` counts up to: Mastodon's default, and its cap. */
export const UNREAD_LIMITS: Limits = { fallback: 100, max: 1000 };

/**
 * How many notifications are newer than the `notifications` marker (all, without one), of
 * the types asked (`types[]`, `exclude_types[]`), none by an account the owner keeps away,
 * counted up to `limit` (100, at most 1,000), as Mastodon counts them.
 */
notificationsV1.get("/unread_count", async (c) => {
  const query = parseListQuery(c, false, UNREAD_LIMITS);
  if (typeof query === "string") return jsonError(c, 400, query);
  return c.json({ count: await countUnread(c.var.ctx.db, query.request) });
});

/** Forgets every notification; answers `{}`, as Mastodon does. */
notificationsV1.post("/clear", async (c) => {
  await runBatch(c.var.ctx.db, [clearNotificationsStatement(c.var.ctx.db)]);
  return c.json({});
});

/** Forgets one notification by its id; 404 for one there is not. */
notificationsV1.post("/:id/dismiss", async (c) => {
  const id = parseMastodonId(c.req.param("id"));
  const gone = id === undefined ? [] : await dismissNotificationQuery(c.var.ctx.db, id);
  if (gone.length === 0) return jsonError(c, 404, "Record not found");
  return c.json({});
});

export const notificationsV2 = new Hono<AppEnv>();
notificationsV2.use(
  "*",
  requireOwner({ read: "read:notifications", write: "write:notifications" }),
);

notificationsV2.get("/", async (c) => {
  const query = parseListQuery(c, true);
  if (typeof query === "string") return jsonError(c, 400, query);
  const { ctx } = c.var;
  const { db, config } = ctx;
  // The owner's account and the newest page's heads in one round trip.
  const [read, paged, inForce] = await readBatched(db, [
    ownerRead(ctx),
    pageGroupsRead(db, query.request, query.groupedTypes),
    filterInForceRead(db, "notifications", query.request.now),
  ]);
  const [{ account: owner }, page] = await Promise.all([read, paged]);
  // Group sizes and samples (with their accounts) while the statuses are read.
  const [summaries, statuses] = await Promise.all([
    summarizeGroups(db, page),
    statusesAbout(ctx, page.leads, { owner, inForce }),
  ]);
  const shown = new Map<string, MastodonAccount>();
  const accountId = (row: AccountRow): string => {
    const account = serializeActor(config, row);
    shown.set(account.id, account);
    return account.id;
  };
  const groups: MastodonNotificationGroup[] = [];
  const groupStatuses = new Map<string, MastodonStatus>();
  for (const lead of page.leads) {
    const status = lead.target === "" ? undefined : statuses.get(lead.target);
    if (lead.target !== "" && status === undefined) continue;
    if (status !== undefined) groupStatuses.set(status.id, status);
    const summary = lead.grouped ? summaries.get(lead.groupKey) : undefined;
    const samples = summary?.samples.map((s) => s.account) ?? [lead.account];
    groups.push(
      serializeNotificationGroup({
        lead,
        summary,
        sampleAccountIds: samples.map(accountId),
        statusId: status?.id,
      }),
    );
  }
  // Mastodon lists the statuses' authors among the accounts too.
  for (const status of groupStatuses.values()) shown.set(status.account.id, status.account);
  return c.json(
    {
      accounts: [...shown.values()],
      statuses: [...groupStatuses.values()],
      notification_groups: groups,
    },
    200,
    linkHeader({
      url: `${config.origin}/api/v2/notifications`,
      kept: query.kept,
      newest: page.leads[0]?.id,
      oldest: page.leads.at(-1)?.id,
    }),
  );
});

/**
 * How many groups the notifications newer than the `notifications` marker make (all, without
 * one), as the grouped list would show them (`grouped_types[]`, `types[]`,
 * `exclude_types[]`), counted up to `limit` (100, at most 1,000): Mastodon's
 * `paginate_groups_by_min_id`, a walk up from the marker.
 */
notificationsV2.get("/unread_count", async (c) => {
  const query = parseListQuery(c, true, UNREAD_LIMITS);
  if (typeof query === "string") return jsonError(c, 400, query);
  const { db } = c.var.ctx;
  const readUpTo = await notificationsReadUpTo(db);
  const { limit, types, now } = query.request;
  const page = await pageGroups(
    db,
    { minId: readUpTo ?? 0n, limit, types, now },
    query.groupedTypes,
  );
  return c.json({ count: page.leads.length });
});

/** Forgets every notification; answers `{}`. */
notificationsV2.post("/clear", async (c) => {
  await runBatch(c.var.ctx.db, [clearNotificationsStatement(c.var.ctx.db)]);
  return c.json({});
});

/**
 * Forgets a group (its key, or `ungrouped-<id>` for one notification); answers `{}` whether
 * or not it was there, as Mastodon's `destroy_all` does.
 */
notificationsV2.post("/:group_key/dismiss", async (c) => {
  const { db } = c.var.ctx;
  await runBatch(db, [dismissGroupStatement(db, c.req.param("group_key"))]);
  return c.json({});
});
