/**
 * What the hosts table knows of every host a delivery reached, beyond followers and failing
 * hosts: a host only mentioned is listed, each host's last success (from the consumer and from
 * its object's own sends), and a host whose inboxes answer 404/410 shows as gone until a
 * delivery goes through again. And the last success is written at most once a minute a host.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { runBatch } from "../src/storage/db";
import { CONTACT_GRAIN_MS, hostContactStatements } from "../src/storage/hosts";
import { db } from "./helpers";
import { type Browser, hostRows, signedInBrowser } from "./support/admin";
import { consume, deliver, hostState, runNow, storedActivity } from "./support/delivery";
import { deliveriesAt, eventually, OWNER, RemoteActor, serve } from "./support/remote";

/** The "Last success" column. */
const LAST = 5;

const contactOf = (host: string) =>
  env.DB.prepare("SELECT last_success_at, gone_at FROM host_contacts WHERE host = ?")
    .bind(host)
    .first<{ last_success_at: number | null; gone_at: number | null }>();

let browser: Browser;
beforeAll(async () => {
  browser = await signedInBrowser("10.71.0.9");
});

describe("a host only mentioned", () => {
  it("is listed once a delivery reached it, with when", async () => {
    const host = "mentioned.contacts.admin.test";
    const actor = await RemoteActor.create({ host });
    expect((await hostRows(browser)).has(host)).toBe(false);
    const started = Date.now();
    await consume("outpost-delivery", deliver(await storedActivity(), [actor.inbox]));
    const row = (await hostRows(browser)).get(host);
    expect(row?.state).toBe("healthy");
    // No follower there, nothing failed, a success seconds ago.
    expect(row?.cells.slice(2, 5)).toEqual(["0", "0", "0"]);
    expect(row?.cells[LAST]).toMatch(/^\d+ s ago$/);
    const contact = await contactOf(host);
    expect(contact?.last_success_at).toBeGreaterThanOrEqual(started);
    expect(contact?.gone_at).toBeNull();
  });
});

describe("a host whose inboxes are gone", () => {
  it("shows as gone after a 410, filtered as such, and healthy once a delivery goes through", async () => {
    const host = "gone.contacts.admin.test";
    const actor = await RemoteActor.create({ host });
    await serve({ url: actor.inbox, status: 410, body: {} });
    await consume("outpost-delivery", deliver(await storedActivity(), [actor.inbox]));
    const gone = (await hostRows(browser)).get(host);
    expect(gone?.state).toBe("gone");
    expect(gone?.cells[1]).toBe("gone");
    // Never reached: no last success; nothing held, no failure counted.
    expect(gone?.cells.slice(3, 6)).toEqual(["0", "0", "—"]);
    expect((await hostRows(browser, "?state=gone")).has(host)).toBe(true);
    expect((await hostRows(browser, "?state=healthy")).has(host)).toBe(false);
    expect((await hostRows(browser, "?sort=state")).keys().next().value).toBe(host);

    await serve({ url: actor.inbox, status: 202, body: {} });
    await consume("outpost-delivery", deliver(await storedActivity(), [actor.inbox]));
    const back = (await hostRows(browser)).get(host);
    expect(back?.state).toBe("healthy");
    expect(back?.cells[LAST]).toMatch(/^\d+ s ago$/);
    expect((await hostRows(browser, "?state=gone")).has(host)).toBe(false);
  });

  it("is not gone while a follower is there: one deleted account says nothing of the others", async () => {
    const host = "followed.contacts.admin.test";
    const fan = await RemoteActor.create({ host, username: "fan" });
    const left = await RemoteActor.create({ host, username: "left" });
    expect((await fan.send(fan.activity("Follow", OWNER))).status).toBe(202);
    await eventually(async () => (await deliveriesAt(fan.inbox)).length > 0, 15_000);
    await serve({ url: left.inbox, status: 410, body: {} });
    await consume("outpost-delivery", deliver(await storedActivity(), [left.inbox]));
    expect((await contactOf(host))?.gone_at).not.toBeNull();
    const row = (await hostRows(browser)).get(host);
    expect(row?.state).toBe("healthy");
    expect(row?.cells[2]).toBe("1");
  });

  it("is not gone while another inbox there took the delivery", async () => {
    const host = "half.contacts.admin.test";
    const [left, stayed] = await Promise.all([
      RemoteActor.create({ host, username: "left" }),
      RemoteActor.create({ host, username: "stayed" }),
    ]);
    await serve({ url: left.inbox, status: 404, body: {} });
    await consume("outpost-delivery", deliver(await storedActivity(), [left.inbox, stayed.inbox]));
    expect((await hostRows(browser)).get(host)?.state).toBe("healthy");
    expect((await contactOf(host))?.last_success_at).not.toBeNull();
  });
});

describe("a host its object sends to", () => {
  it("has its last success from the object's delivery, not only the consumer's", async () => {
    const host = "held.contacts.admin.test";
    const actor = await RemoteActor.create({ host });
    await serve({ url: actor.inbox, status: 500, body: {} });
    await consume("outpost-delivery", deliver(await storedActivity(), [actor.inbox]));
    const stub = hostState(host);
    await eventually(async () => (await stub.status()).parked > 0);
    expect(await contactOf(host)).toBeNull();
    await serve({ url: actor.inbox, status: 202, body: {} });
    await runNow(stub);
    expect((await stub.status()).parked).toBe(0);
    expect((await contactOf(host))?.last_success_at).not.toBeNull();
    expect((await hostRows(browser)).get(host)?.cells[LAST]).toMatch(/^\d+ s ago$/);
  });
});

describe("the last success", () => {
  const write = (input: { reached?: string[]; gone?: string[]; at: number }) =>
    runBatch(
      db(),
      hostContactStatements(db(), {
        reached: input.reached ?? [],
        gone: input.gone ?? [],
        now: new Date(input.at),
      }),
    );

  it("is written at most once a minute a host, but a success always ends gone", async () => {
    const host = "grain.contacts.admin.test";
    const t0 = Date.parse("2026-12-01T10:00:00Z");
    await write({ reached: [host, host], at: t0 });
    expect(await contactOf(host)).toEqual({ last_success_at: t0, gone_at: null });
    await write({ reached: [host], at: t0 + CONTACT_GRAIN_MS - 1 });
    expect((await contactOf(host))?.last_success_at).toBe(t0);
    await write({ reached: [host], at: t0 + CONTACT_GRAIN_MS });
    expect((await contactOf(host))?.last_success_at).toBe(t0 + CONTACT_GRAIN_MS);
    // Gone, then reached within the minute of the last success: the success is written.
    const t1 = t0 + CONTACT_GRAIN_MS + 1;
    await write({ gone: [host], at: t1 });
    expect(await contactOf(host)).toEqual({ last_success_at: t0 + CONTACT_GRAIN_MS, gone_at: t1 });
    await write({ reached: [host], at: t1 + 1 });
    expect(await contactOf(host)).toEqual({ last_success_at: t1 + 1, gone_at: null });
  });

  it("binds within D1's limit however many hosts a batch names", async () => {
    const hosts = Array.from({ length: 75 }, (_, i) => `h${i}.many.contacts.admin.test`);
    await write({ reached: hosts, gone: hosts.map((h) => `x${h}`), at: Date.now() });
    const n = await env.DB.prepare(
      "SELECT count(*) AS n FROM host_contacts WHERE host LIKE '%many.contacts.admin.test'",
    ).first<{ n: number }>();
    expect(n?.n).toBe(150);
  });
});
