/**
 * The owner's lists, shaped like Mastodon's client API: `/api/v1/lists` (`lists`), and the
 * two list routes under other resources' paths (`listRoutes`): the lists an account is on
 * (`/api/v1/accounts/:id/lists`) and a list's timeline (`/api/v1/timelines/list/:list_id`).
 * Those are mounted before the accounts and timelines routers, each with its own auth, so
 * that no `use("*")` reaches the routes around them. Every route needs `read:lists` or
 * `write:lists`, as on Mastodon.
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../env";
import { ownerIdIs } from "../../federation/owner-id";
import { applyFilters, compileFilters } from "../../mastodon/filters";
import { accountId, isRemoteAccountId, noteId, parseMastodonId } from "../../mastodon/ids";
import { serializeList } from "../../mastodon/lists";
import { serializeActor } from "../../mastodon/serialize";
import { actorByApiId } from "../../storage/actors";
import { runBatch } from "../../storage/db";
import { activeFilters } from "../../storage/filters";
import {
  addMembersStatements,
  allListsQuery,
  candidatesByApiId,
  countLists,
  createList,
  deleteListStatements,
  findList,
  listMembersPage,
  listsOfQuery,
  listTimeline,
  removeMembersStatements,
  updateList,
} from "../../storage/lists";
import type { ListRow } from "../../storage/schema-lists";
import { ownerAccount, statusesFor } from "../../views/statuses";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { readInput } from "./input";
import { linkHeader, parsePaging } from "./paging";
import {
  ListAccounts,
  ListCreate,
  ListUpdate,
  MAX_LISTS,
  parseAccountIds,
  parseSeq,
  queryAccountIds,
} from "./sorting-input";

const listScopes = requireOwner({ read: "read:lists", write: "write:lists" });

/** A list's members per page: Mastodon's default and maximum; `limit=0` gives them all. */
const MEMBERS = { fallback: 40, max: 80 };
/** Statuses per page of a list's timeline, as the home timeline's. */
const STATUSES = { fallback: 20, max: 40 };

const notFound = (c: Context) => jsonError(c, 404, "Record not found");

/** The list a route's `:id` (or `:list_id`) names, or undefined. */
async function listOf(c: Context<AppEnv>, param: string): Promise<ListRow | undefined> {
  const seq = parseSeq(c.req.param(param));
  return seq === undefined ? undefined : findList(c.var.ctx.db, seq);
}

export const lists = new Hono<AppEnv>();
lists.use("*", listScopes);

lists.get("/", async (c) => c.json((await allListsQuery(c.var.ctx.db)).map(serializeList)));

lists.post("/", async (c) => {
  const input = await readInput(c, ListCreate);
  if (!input.ok) return jsonError(c, input.status, input.error);
  const { ctx } = c.var;
  if ((await countLists(ctx.db)) >= MAX_LISTS) {
    return jsonError(c, 422, `Validation failed: the owner may keep at most ${MAX_LISTS} lists`);
  }
  const { title, replies_policy, exclusive } = input.value;
  const fields = { title, repliesPolicy: replies_policy ?? "list", exclusive: exclusive ?? false };
  return c.json(serializeList(await createList(ctx.db, fields, ctx.now())));
});

lists.get("/:id", async (c) => {
  const list = await listOf(c, "id");
  return list === undefined ? notFound(c) : c.json(serializeList(list));
});

lists.put("/:id", async (c) => {
  const seq = parseSeq(c.req.param("id"));
  if (seq === undefined) return notFound(c);
  const input = await readInput(c, ListUpdate);
  if (!input.ok) return jsonError(c, input.status, input.error);
  const { title, replies_policy, exclusive } = input.value;
  const fields = { title, repliesPolicy: replies_policy, exclusive };
  const list = await updateList(c.var.ctx.db, seq, fields);
  return list === undefined ? notFound(c) : c.json(serializeList(list));
});

/** Deletes a list and its members; answers `{}`, as Mastodon does. */
lists.delete("/:id", async (c) => {
  const list = await listOf(c, "id");
  if (list === undefined) return notFound(c);
  await runBatch(c.var.ctx.db, deleteListStatements(c.var.ctx.db, list.seq));
  return c.json({});
});

/** A list's members, in account id order, paged like Mastodon (`limit=0`: all of them). */
lists.get("/:id/accounts", async (c) => {
  const all = c.req.query("limit") === "0";
  const paging = all ? undefined : parsePaging(c.req.query(), MEMBERS, "account");
  if (typeof paging === "string") return jsonError(c, 400, paging);
  const list = await listOf(c, "id");
  if (list === undefined) return notFound(c);
  const { ctx } = c.var;
  const page = await listMembersPage(ctx.db, list.seq, paging?.request ?? "all");
  const ids = page.items.map(accountId);
  const links =
    paging === undefined
      ? {}
      : linkHeader({
          url: `${ctx.config.origin}/api/v1/lists/${list.seq}/accounts`,
          kept: paging.kept,
          newest: ids[0],
          oldest: ids.at(-1),
          hasOlder: page.hasOlder,
        });
  return c.json(
    page.items.map((row) => serializeActor(ctx.config, row)),
    200,
    links,
  );
});

/**
 * The accounts a request adds or removes, by `account_ids[]` in the body, else in the query
 * (apps send a `DELETE`'s there): their stored actors, or the error to answer.
 */
async function membersOf(c: Context<AppEnv>) {
  const input = await readInput(c, ListAccounts);
  if (!input.ok) return input;
  const ids = input.value.account_ids ?? parseAccountIds(queryAccountIds(c));
  if (!Array.isArray(ids)) return ids;
  const { ctx } = c.var;
  const owner = ctx.config.urls.owner.id;
  const remote = ids.filter(isRemoteAccountId);
  const found = await candidatesByApiId(ctx.db, { ids: remote, owner });
  const known = new Set(found.map(({ actor }) => accountId(actor)));
  if (remote.some((id) => !known.has(id.toString()))) return missing;
  // Ids of the owner's kind: the owner, who cannot be on a list, or no one; one at most is theirs.
  const local = [...new Set(ids.filter((id) => !isRemoteAccountId(id)))];
  if (local.length > 1) return missing;
  if (local[0] !== undefined && !(await ownerIdIs(ctx, local[0]))) return missing;
  return { ok: true as const, value: { found, all: ids.length === remote.length } };
}

const missing = { ok: false as const, status: 404 as const, error: "Record not found" };

/** Adds accounts the owner follows (or asked to follow) to a list; answers `{}`. */
lists.post("/:id/accounts", async (c) => {
  const list = await listOf(c, "id");
  if (list === undefined) return notFound(c);
  const members = await membersOf(c);
  if (!members.ok) return jsonError(c, members.status, members.error);
  const { found, all } = members.value;
  if (!all || found.some((f) => !f.followed)) {
    return jsonError(c, 422, "Validation failed: only accounts you follow can be added to a list");
  }
  const { db } = c.var.ctx;
  const actors = found.map((f) => f.actor.id);
  await runBatch(db, addMembersStatements(db, list.seq, actors));
  return c.json({});
});

/** Takes accounts off a list; answers `{}`. */
lists.delete("/:id/accounts", async (c) => {
  const list = await listOf(c, "id");
  if (list === undefined) return notFound(c);
  const members = await membersOf(c);
  if (!members.ok) return jsonError(c, members.status, members.error);
  const { db } = c.var.ctx;
  const actors = members.value.found.map((f) => f.actor.id);
  await runBatch(db, removeMembersStatements(db, list.seq, actors));
  return c.json({});
});

export const listRoutes = new Hono<AppEnv>();

/** The lists an account is on (none for the owner, who cannot be on one). */
listRoutes.get("/v1/accounts/:id/lists", listScopes, async (c) => {
  const { ctx } = c.var;
  const id = parseMastodonId(c.req.param("id"));
  if (id === undefined) return notFound(c);
  if (!isRemoteAccountId(id)) return (await ownerIdIs(ctx, id)) ? c.json([]) : notFound(c);
  const actor = await actorByApiId(ctx.db, id);
  if (actor === undefined) return notFound(c);
  return c.json((await listsOfQuery(ctx.db, actor.id)).map(serializeList));
});

/**
 * A list's timeline, paged like the home timeline, with the filters of the `home` context
 * applied (Mastodon applies them to lists): a status a `hide` filter matches is left out,
 * one a `warn` or `blur` filter matches says so in `filtered`. The `Link` header follows the
 * notes read, shown or not, so that a page the filters emptied still leads on.
 */
listRoutes.get("/v1/timelines/list/:list_id", listScopes, async (c) => {
  const paging = parsePaging(c.req.query(), STATUSES, "status");
  if (typeof paging === "string") return jsonError(c, 400, paging);
  const { ctx } = c.var;
  const [list, owner] = await Promise.all([listOf(c, "list_id"), ownerAccount(ctx)]);
  if (list === undefined) return notFound(c);
  const { items, hasOlder } = await listTimeline(
    ctx.db,
    { list, owner: ctx.config.urls.owner.id },
    paging.request,
  );
  const now = ctx.now();
  const [statuses, active] = await Promise.all([
    statusesFor(ctx, items, owner),
    activeFilters(ctx.db, { context: "home", now, notes: items.map((n) => n.id) }),
  ]);
  const ids = items.map(noteId);
  return c.json(
    applyFilters(compileFilters(active, "home", now), statuses),
    200,
    linkHeader({
      url: `${ctx.config.origin}/api/v1/timelines/list/${list.seq}`,
      kept: paging.kept,
      newest: ids[0],
      oldest: ids.at(-1),
      hasOlder,
    }),
  );
});
