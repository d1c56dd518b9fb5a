/**
 * The dashboard's hosts and posts after real deliveries to the fake fediverse: a follower's
 * host that answers and one that fails (its `Accept` and a post held by its object), as the
 * hosts table shows them (state, failures, parked, filtered and sorted), a post's delivery
 * page, and the owner's actions: retry now drains a parked host, forget resets a host's
 * record, block (once confirmed on its own page) adds a domain block.
 */
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { hostStates } from "../src/storage/schema";
import { api, db } from "./helpers";
import { type Browser, get, hostRows, post, signedInBrowser } from "./support/admin";
import { hostState, openCircuit, pause, storedActivity } from "./support/delivery";
import { deliveriesAt, eventually, OWNER, RemoteActor, serve } from "./support/remote";

/** A post's delivery page: each host's state, for the activity of `type`. */
async function postHosts(browser: Browser, path: string, type = "Create") {
  const html = await (await get(browser, path)).text();
  const section =
    html.match(new RegExp(`<section class="activity" data-type="${type}">(.*?)</section>`))?.[1] ??
    "";
  return new Map(
    [...section.matchAll(/<tr data-host="([^"]+)" data-state="([^"]+)">/g)].map((m) => [
      m[1],
      m[2],
    ]),
  );
}

const OK = "ok.hosts.admin.test";
const DOWN = "down.hosts.admin.test";
let browser: Browser;
let ok: RemoteActor;
let down: RemoteActor;

beforeAll(async () => {
  browser = await signedInBrowser("10.71.0.1");
  [ok, down] = await Promise.all([
    RemoteActor.create({ host: OK, username: "fine" }),
    RemoteActor.create({ host: DOWN, username: "gone" }),
  ]);
  await serve({ url: down.inbox, status: 500, body: {} });
  // Real follows: each Accept goes out through the queue; the failing host's is held.
  for (const actor of [ok, down]) {
    expect((await actor.send(actor.activity("Follow", OWNER))).status).toBe(202);
  }
  await eventually(async () => (await hostState(DOWN).status()).parked > 0, 15_000);
  await pause(hostState(DOWN));
  await eventually(async () => (await deliveriesAt(ok.inbox)).length > 0, 15_000);
});

describe("the hosts table", () => {
  it("shows each host's real state: the failing one backing off, holding its Accept", async () => {
    const rows = await hostRows(browser);
    const failing = rows.get(DOWN);
    expect(failing?.state).toBe("backing-off");
    const [, label, followers, failures, parked] = failing?.cells ?? [];
    expect(label).toBe("backing off");
    expect(followers).toBe("1");
    expect(Number(failures)).toBeGreaterThanOrEqual(1);
    expect(parked).toBe("1");
    expect(rows.get(OK)?.state).toBe("healthy");
    expect(rows.get(OK)?.cells.slice(2, 5)).toEqual(["1", "0", "0"]);
  });

  it("filters by state and sorts by failures (query parameters)", async () => {
    expect([...(await hostRows(browser, "?state=backing-off")).keys()]).toEqual([DOWN]);
    expect([...(await hostRows(browser, "?state=healthy")).keys()]).toContain(OK);
    expect([...(await hostRows(browser, "?state=healthy")).keys()]).not.toContain(DOWN);
    expect([...(await hostRows(browser, "?sort=failures")).keys()][0]).toBe(DOWN);
    // An unknown filter or sort is ignored, not an error.
    expect((await hostRows(browser, "?state=nope&sort=nope")).has(DOWN)).toBe(true);
  });
});

describe("a post's deliveries, and retry now", () => {
  it("shows the parked host, and retry now drains it once the host answers", {
    timeout: 30_000,
  }, async () => {
    await openCircuit(hostState(DOWN), DOWN);
    const res = await api("/v1/statuses", { body: { status: "seen from the dashboard" } });
    const { id } = (await res.json()) as { id: string };
    const page = `/admin/posts/${id}`;
    const list = await (await get(browser, "/admin/posts")).text();
    expect(list).toContain(`href="${page}"`);
    expect(list).toContain("seen from the dashboard");
    const states = await eventually(async () => {
      const hosts = await postHosts(browser, page);
      return hosts.get(OK) === "delivered" && hosts.get(DOWN) === "parked" && hosts;
    }, 15_000);
    expect(states.get(DOWN)).toBe("parked");
    expect((await hostState(DOWN).status()).parked).toBe(2);
    expect((await hostRows(browser, "?state=open")).get(DOWN)?.cells[1]).toBe("circuit open");

    await serve({ url: down.inbox, status: 202, body: {} });
    const retried = await post(browser, "/admin/hosts/retry", {
      fields: { host: DOWN, back: page },
    });
    expect(retried.status).toBe(303);
    expect(retried.headers.get("Location")).toBe(page);
    expect(await hostState(DOWN).status()).toMatchObject({
      parked: 0,
      failures: 0,
      circuit: "closed",
    });
    // The Accept once refused (500), then taken; the post at the host's shared inbox.
    expect((await deliveriesAt(down.inbox)).map((a) => a.type)).toEqual(["Accept", "Accept"]);
    expect((await deliveriesAt(`https://${DOWN}/inbox`)).map((a) => a.type)).toEqual(["Create"]);
    expect((await postHosts(browser, page)).get(DOWN)).toBe("delivered");
    expect((await hostRows(browser)).get(DOWN)?.state).toBe("healthy");
  });
});

describe("forget", () => {
  it("resets a host's failure record, and what it held goes at once", async () => {
    const host = "sick.hosts.admin.test";
    const stub = hostState(host);
    await openCircuit(stub, host);
    await stub.hold({
      host,
      activityId: await storedActivity(),
      inboxes: [`https://${host}/inbox`],
    });
    await pause(stub);
    expect((await hostRows(browser, "?state=open")).has(host)).toBe(true);

    const res = await post(browser, "/admin/hosts/forget", { fields: { host } });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(`/admin/hosts?done=forget&host=${host}&held=0`);
    expect(await stub.status()).toMatchObject({ failures: 0, circuit: "closed", parked: 0 });
    expect(await db().select().from(hostStates).where(eq(hostStates.host, host))).toEqual([]);
    const notice = await (await get(browser, res.headers.get("Location") ?? "")).text();
    expect(notice).toContain(`${host}: its failure record is forgotten; 0 deliveries still held.`);
  });
});

describe("one host", () => {
  it("is shown alone by ?host=, which the followers page links to", async () => {
    expect([...(await hostRows(browser, `?host=${DOWN}`)).keys()]).toEqual([DOWN]);
    expect([...(await hostRows(browser, `?host=${DOWN.toUpperCase()}`)).keys()]).toEqual([DOWN]);
    expect((await hostRows(browser, "?host=unknown.hosts.admin.test")).size).toBe(0);
    const followers = await (await get(browser, "/admin/followers")).text();
    expect(followers).toContain(`<a href="/admin/hosts?host=${DOWN}">${DOWN}</a>`);
  });
});

describe("block", () => {
  it("asks first: the table's button and the domain form lead to a page saying what it ends", async () => {
    const loud = "loud.hosts.admin.test";
    await openCircuit(hostState(loud), loud);
    await db()
      .insert(hostStates)
      .values({ host: loud, state: "backingOff", flavour: "cavage", updatedAt: new Date() });
    const table = await (await get(browser, "/admin/hosts")).text();
    const row = table.match(new RegExp(`<tr id="host-${loud}".*?</tr>`))?.[0] ?? "";
    expect(row).toMatch(
      new RegExp(
        `<form class="inline" method="get" action="/admin/hosts/block"><input type="hidden" name="host" value="${loud}"/?><button type="submit">Block domain…</button></form>`,
      ),
    );
    expect(table).toContain('<form method="get" action="/admin/hosts/block">');
    const ask = await get(browser, `/admin/hosts/block?host=${OK}`);
    expect(ask.status).toBe(200);
    const html = await ask.text();
    expect(html).toContain(`<h1>Block ${OK}?</h1>`);
    expect(html).toContain("1 account there follows");
    expect(html).toContain("the owner follows 0 there");
    expect(html).toMatch(/name="confirm" value="1"/);
    expect(html).toMatch(/cannot be undone/);
    // Not a remote host: nothing to ask.
    expect((await get(browser, "/admin/hosts/block?host=outpost.test")).status).toBe(400);
    expect((await get(browser, "/admin/hosts/block?host=not%20a%20host")).status).toBe(400);
    expect((await (await api("/v1/domain_blocks")).json()) as string[]).not.toContain(OK);
  });

  it("blocks nothing without confirm=1 (the confirmation again), and blocks with it", async () => {
    const unconfirmed = await post(browser, "/admin/hosts/block", { fields: { host: OK } });
    expect(unconfirmed.status).toBe(200);
    expect(await unconfirmed.text()).toContain(`<h1>Block ${OK}?</h1>`);
    expect((await (await api("/v1/domain_blocks")).json()) as string[]).not.toContain(OK);

    const res = await post(browser, "/admin/hosts/block", { fields: { host: OK, confirm: "1" } });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(`/admin/hosts?done=block&host=${OK}`);
    const blocked = (await (await api("/v1/domain_blocks")).json()) as string[];
    expect(blocked).toContain(OK);
    const followers = await (await get(browser, "/admin/followers")).text();
    expect(followers).not.toContain(OK);
    // Our own host is not a remote host: nothing is done.
    const own = await post(browser, "/admin/hosts/block", {
      fields: { host: "outpost.test", confirm: "1" },
    });
    expect(own.status).toBe(400);
    expect((await (await api("/v1/domain_blocks")).json()) as string[]).not.toContain(
      "outpost.test",
    );
  });
});
