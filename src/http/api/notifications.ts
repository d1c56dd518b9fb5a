/**
 * The owner's notifications, shaped like Mastodon's client API: the plain list
 * (`/api/v1/notifications`) and the grouped one (`/api/v2/notifications`), where 15 likes of
 * a post are one group of 15 with up to 8 sample accounts.
 */
import { type Context, Hono } from "hono";
import type { AppContext } from "../../context";
import type { AppEnv } from "../../env";
import {
  type MastodonNotificationGroup,
  serializeNotification,
  serializeNotificationGroup,
} from "../../mastodon/notifications";
import {
  type MastodonAccount,
  type MastodonStatus,
  serializeActor,
} from "../../mastodon/serialize";
import { actorsById } from "../../storage/actors";
import {
  listNotifications,
  type NotificationRequest,
  pageGroups,
  summarizeGroups,
} from "../../storage/notification-pages";
import { GROUPABLE_TYPES } from "../../storage/notifications";
import { NOTIFICATION_TYPES, type NotificationType } from "../../storage/schema";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { linkHeader, type Paging, parsePaging } from "./paging";
import { statusesBySeq } from "./views";

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
function parseListQuery(c: Context, grouped: boolean): ListQuery | string {
  const paging = parsePaging(
    c.req.query(),
    { fallback: DEFAULT_LIMIT, max: MAX_LIMIT },
    "notification",
  );
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
    },
    groupedTypes: groupedList.given
      ? GROUPABLE_TYPES.filter((t) => groupedList.values.includes(t))
      : undefined,
    kept,
  };
}

/** The statuses notifications are about, by their notes' `seq`. */
function statusesAbout(
  ctx: AppContext,
  seqs: readonly (number | null)[],
): Promise<Map<number, MastodonStatus>> {
  return statusesBySeq(
    ctx,
    seqs.filter((s): s is number => s !== null),
  );
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
  const rows = await listNotifications(db, query.request);
  const [accounts, statuses] = await Promise.all([
    actorsById(
      db,
      rows.map((r) => r.notification.account),
    ),
    statusesAbout(
      ctx,
      rows.map((r) => r.statusSeq),
    ),
  ]);
  const list = rows.flatMap(({ notification, statusSeq }) => {
    const account = accounts.get(notification.account);
    const status = statusSeq === null ? undefined : statuses.get(statusSeq);
    // An account or status that went away meanwhile takes its notification with it.
    if (account === undefined || (statusSeq !== null && status === undefined)) return [];
    return [serializeNotification(notification, serializeActor(config, account), status)];
  });
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
  const page = await pageGroups(db, query.request, query.groupedTypes);
  const groupedKeys = page.leads.filter((l) => l.grouped).map((l) => l.groupKey);
  // Group sizes and samples, then their accounts, while the statuses are read.
  const [[summaries, accounts], statuses] = await Promise.all([
    summarizeGroups(db, groupedKeys, page.range).then(async (summaries) => {
      const ids = [
        ...page.leads.map((l) => l.account),
        ...[...summaries.values()].flatMap((s) => s.samples.map((x) => x.account)),
      ];
      return [summaries, await actorsById(db, ids)] as const;
    }),
    statusesAbout(
      ctx,
      page.leads.map((l) => l.statusSeq),
    ),
  ]);
  const shown = new Map<string, MastodonAccount>();
  const accountId = (iri: string): string[] => {
    const row = accounts.get(iri);
    if (row === undefined) return [];
    const account = serializeActor(config, row);
    shown.set(account.id, account);
    return [account.id];
  };
  const groups: MastodonNotificationGroup[] = [];
  const groupStatuses = new Map<string, MastodonStatus>();
  for (const lead of page.leads) {
    const status = lead.statusSeq === null ? undefined : statuses.get(lead.statusSeq);
    if (lead.statusSeq !== null && status === undefined) continue;
    if (status !== undefined) groupStatuses.set(status.id, status);
    const summary = lead.grouped ? summaries.get(lead.groupKey) : undefined;
    const samples = summary?.samples.map((s) => s.account) ?? [lead.account];
    groups.push(
      serializeNotificationGroup({
        lead,
        summary,
        sampleAccountIds: samples.flatMap(accountId),
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
