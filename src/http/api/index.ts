/**
 * The client API, Mastodon-shaped. Every router requires a token acting as the owner with
 * the scope its route needs, except app registration (anyone, rate-limited), what describes
 * the server (`instance.ts`: public) and the streaming API's health check.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { accountLists } from "./account-lists";
import { accountStatuses } from "./account-statuses";
import { accounts } from "./accounts";
import { apps } from "./apps";
import { bookmarks, favourites } from "./bookmarks";
import { conversationsApi } from "./conversations";
import { exportsApi } from "./exports";
import { filterKeywords, filterStatuses } from "./filter-rules";
import { filtersV1, filtersV2 } from "./filters";
import { followRequests } from "./follow-requests";
import { importsApi } from "./imports";
import { instance } from "./instance";
import { listRoutes, lists } from "./lists";
import { markers } from "./markers";
import { media } from "./media";
import { notificationsV1, notificationsV2 } from "./notifications";
import { profile } from "./profile";
import { blocksList, domainBlocks, mutesList, safetyActions } from "./safety";
import { searchApi } from "./search";
import { startup, trends } from "./startup";
import { statuses } from "./statuses";
import { streaming } from "./streaming";
import { timelines } from "./timelines";

export const api = new Hono<AppEnv>();
api.route("/", apps);
api.route("/", instance);
api.route("/", trends);
api.route("/", startup);
api.route("/v1/statuses", statuses);
api.route("/", media);
api.route("/v1/bookmarks", bookmarks);
api.route("/v1/favourites", favourites);
// Before the accounts router: its `/:id` would take `verify_credentials` for an id.
api.route("/", profile);
// Before the accounts and timelines routers: `/v1/accounts/:id/lists` and
// `/v1/timelines/list/:list_id` are the lists' (read:lists), each with its own auth.
api.route("/", listRoutes);
// Before the accounts router too: `/:id/block|unblock|mute|unmute`, each with its own scope.
api.route("/v1/accounts", safetyActions);
// Before the accounts router too: `relationships` and `search` are no ids; `/:id/statuses`,
// `/:id/followers` and `/:id/following` each carry their own auth.
api.route("/", accountLists);
api.route("/", accountStatuses);
api.route("/v1/accounts", accounts);
api.route("/v1/follow_requests", followRequests);
api.route("/v1/blocks", blocksList);
api.route("/v1/mutes", mutesList);
api.route("/v1/domain_blocks", domainBlocks);
api.route("/v1/markers", markers);
api.route("/v1/notifications", notificationsV1);
api.route("/v2/notifications", notificationsV2);
api.route("/v1/timelines", timelines);
api.route("/v1/conversations", conversationsApi);
api.route("/v2/search", searchApi);
api.route("/v1/lists", lists);
api.route("/v1/filters", filtersV1);
api.route("/v2/filters", filtersV2);
api.route("/v2/filter_keywords", filterKeywords);
api.route("/v2/filter_statuses", filterStatuses);
api.route("/v1", streaming);
// The owner's exports and imports (Mastodon's settings pages, as an API of Outpost's own).
api.route("/outpost/exports", exportsApi);
api.route("/outpost/imports", importsApi);
