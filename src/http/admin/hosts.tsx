/**
 * `/admin/hosts`: the hosts table (`?sort=failures&state=open&page=2`, `?host=` for one), and
 * the owner's actions on a host, each a form (its CSRF token checked by the router): retry
 * now (its object sends what it holds at once), forget its failure record, block its domain.
 * Blocking ends follows for good, so it is asked first: `GET /block?host=` shows what it
 * ends, and only its form's POST (`confirm=1`) blocks; a POST without it shows that page.
 */
import { type Context, Hono } from "hono";
import { blockDomain } from "../../federation/publish/blocks";
import type { HostStatus } from "../../hosts/host-state";
import { recorder } from "../../metrics/recorder";
import { BlockHostPage } from "../../pages/admin/block-host";
import {
  CONDITIONS,
  HOST_SORTS,
  type HostCondition,
  type HostQuery,
  type HostSort,
} from "../../pages/admin/host-types";
import { HostsPage } from "../../pages/admin/hosts";
import { domainFollowCounts } from "../../storage/dashboard";
import { parseDomain } from "../api/safety-input";
import { type AdminEnv, refused } from "./guard";
import { loadHosts } from "./host-list";

export const hosts = new Hono<AdminEnv>();

const isOneOf = <T extends string>(list: readonly T[], value: string | undefined): value is T =>
  value !== undefined && (list as readonly string[]).includes(value);

function readQuery(c: Context<AdminEnv>): HostQuery {
  const sort = c.req.query("sort");
  const state = c.req.query("state");
  const page = Number(c.req.query("page") ?? "1");
  return {
    sort: isOneOf<HostSort>(HOST_SORTS, sort) ? sort : "host",
    state: isOneOf<HostCondition>(CONDITIONS, state) ? state : undefined,
    host: remoteHost(c, c.req.query("host")),
    page: Number.isInteger(page) && page >= 1 && page <= 10_000 ? page : 1,
  };
}

/** A domain other than ours, lower-cased; undefined when `given` is not one. */
function remoteHost(c: Context<AdminEnv>, given: unknown): string | undefined {
  const host = typeof given === "string" ? parseDomain(given) : undefined;
  return host === undefined || host === c.var.ctx.config.host.toLowerCase() ? undefined : host;
}

/** What the last action did, from the query its redirect carries. */
function noticeOf(c: Context<AdminEnv>): string | undefined {
  const host = c.req.query("host");
  const held = c.req.query("held");
  if (host === undefined || parseDomain(host) === undefined) return undefined;
  switch (c.req.query("done")) {
    case "retry":
      return `${host}: tried now; ${held ?? "?"} deliveries still held.`;
    case "forget":
      return `${host}: its failure record is forgotten; ${held ?? "?"} deliveries still held.`;
    case "block":
      return `${host} is blocked.`;
    default:
      return undefined;
  }
}

hosts.get("/", async (c) => {
  const query = readQuery(c);
  const { ctx } = c.var;
  const list = await loadHosts(ctx, query);
  return c.html(
    <HostsPage csrf={c.var.csrf} list={list} query={query} now={ctx.now()} notice={noticeOf(c)} />,
  );
});

/** The form's host, a domain other than ours; undefined when it is not one. */
const formHost = (c: Context<AdminEnv>) => remoteHost(c, c.var.form.host);

/** Where the action's page goes next: back to the post it was pressed on, or the hosts. */
function after(c: Context<AdminEnv>, done: { action: string; host: string; held?: number }) {
  const back = c.var.form.back;
  if (
    typeof back === "string" &&
    /^\/admin\/posts\/\d{1,19}(\?activity=\d{1,4}&page=\d{1,6})?$/.test(back)
  ) {
    return c.redirect(back, 303);
  }
  const params = new URLSearchParams({ done: done.action, host: done.host });
  if (done.held !== undefined) params.set("held", String(done.held));
  return c.redirect(`/admin/hosts?${params}`, 303);
}

type HostAction = "retryNow" | "forget";

async function onHost(c: Context<AdminEnv>, action: HostAction) {
  const host = formHost(c);
  if (host === undefined) return refused(c, 400, "Nothing was done: that is not a remote host.");
  const { hosts: namespace } = c.var.ctx;
  recorder().inc("outpost_do_calls_total", { method: action });
  const stub = namespace.get(namespace.idFromName(host));
  const status: HostStatus = await (action === "retryNow" ? stub.retryNow() : stub.forget());
  return after(c, {
    action: action === "retryNow" ? "retry" : "forget",
    host,
    held: status.parked,
  });
}

hosts.post("/retry", (c) => onHost(c, "retryNow"));
hosts.post("/forget", (c) => onHost(c, "forget"));

/** What blocking `host` ends, and the form that blocks it (`confirm=1`). */
async function confirmBlock(c: Context<AdminEnv>, host: string) {
  const { db, config } = c.var.ctx;
  const counts = await domainFollowCounts(db, { owner: config.urls.owner.id, domain: host });
  return c.html(<BlockHostPage csrf={c.var.csrf} host={host} {...counts} />);
}

hosts.get("/block", (c) => {
  const host = remoteHost(c, c.req.query("host"));
  if (host === undefined) return refused(c, 400, "Nothing was done: that is not a remote host.");
  return confirmBlock(c, host);
});

hosts.post("/block", async (c) => {
  const host = formHost(c);
  if (host === undefined) return refused(c, 400, "Nothing was done: that is not a remote host.");
  if (c.var.form.confirm !== "1") return confirmBlock(c, host);
  await blockDomain(c.var.ctx, host);
  return after(c, { action: "block", host });
});
