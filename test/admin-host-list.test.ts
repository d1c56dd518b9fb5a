/**
 * The hosts table asks the host objects of the rows it shows, no others: it filters, sorts
 * and pages on what D1 says first, then asks each listed host of the page on its own, so one
 * object that fails shows as unknown rather than failing the page; and it says when the
 * mirror held more hosts than it reads.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AppContext } from "../src/context";
import type { HostStatus } from "../src/hosts/host-state";
import { loadHosts } from "../src/http/admin/host-list";
import type { HostQuery } from "../src/pages/admin/host-types";
import { hostContacts, hostStates } from "../src/storage/schema";
import { appContext, db } from "./helpers";
import { get, signedInBrowser } from "./support/admin";

const HEALTHY_STATUS: HostStatus = {
  host: null,
  failures: 0,
  failureDays: 0,
  circuit: "closed",
  unavailable: false,
  slow: false,
  nextAttemptAt: null,
  parked: 0,
  flavour: "rfc9421",
};

/** Host objects that answer from a script, recording who was asked; `broken` ones throw. */
function fakeObjects(broken: readonly string[] = []) {
  const asked: string[] = [];
  const hosts = {
    idFromName: (name: string) => name,
    get: (name: string) => ({
      status: async (): Promise<HostStatus> => {
        asked.push(name);
        if (broken.includes(name)) throw new Error("the object broke");
        // A "g…" host's object has nothing against it (any more).
        if (name.startsWith("g")) return { ...HEALTHY_STATUS, host: name };
        return {
          host: name,
          failures: name.startsWith("a") ? 7 : 2,
          failureDays: 1,
          circuit: name.startsWith("a") ? "open" : "closed",
          unavailable: name.startsWith("z"),
          slow: false,
          nextAttemptAt: null,
          parked: 3,
          flavour: "cavage",
        };
      },
    }),
  } as unknown as AppContext["hosts"];
  return { ctx: { ...appContext(), hosts }, asked };
}

const listed = (host: string, state: "backingOff" | "unavailable") => ({
  host,
  state,
  flavour: "cavage" as const,
  updatedAt: new Date(),
});

const name = (prefix: string, i: number) => `${prefix}${String(i).padStart(2, "0")}.list.test`;
const query = (more: Partial<HostQuery> = {}): HostQuery => ({ sort: "host", page: 1, ...more });

describe("the hosts table's objects", () => {
  it("asks the page's listed hosts, not the sickest elsewhere; a failing one is unknown", async () => {
    // Three hosts backing off first by name, then 60 unavailable ones: the sickest.
    await db()
      .insert(hostStates)
      .values([0, 1, 2].map((i) => listed(name("a", i), "backingOff")));
    for (let from = 0; from < 60; from += 15) {
      await db()
        .insert(hostStates)
        .values(Array.from({ length: 15 }, (_, i) => listed(name("z", from + i), "unavailable")));
    }
    const { ctx, asked } = fakeObjects([name("a", 1)]);
    const first = await loadHosts(ctx, query());
    const shown = first.hosts.map((h) => h.host);
    expect(shown).toHaveLength(50);
    expect(shown.slice(0, 3)).toEqual([name("a", 0), name("a", 1), name("a", 2)]);
    expect(asked.sort()).toEqual([...shown].sort());
    expect(first.total).toBe(63);
    expect(first.unanswered).toBe(1);
    const [a0, a1] = first.hosts;
    expect(a0).toMatchObject({ condition: "open", failures: 7, parked: 3 });
    // Its object failed: the mirror's state, its counts unknown.
    expect(a1).toMatchObject({ condition: "backing-off", failures: null, parked: null });

    const { ctx: again, asked: second } = fakeObjects();
    const next = await loadHosts(again, query({ page: 2 }));
    expect(next.hosts.map((h) => h.host)).toEqual(
      Array.from({ length: 13 }, (_, i) => name("z", 47 + i)),
    );
    expect(second).toHaveLength(13);
  });

  it("filters on the mirror, then on what the page's objects say", async () => {
    const { ctx, asked } = fakeObjects();
    const open = await loadHosts(ctx, query({ state: "open" }));
    // Backing off in the mirror: asked, the three turn out open.
    expect(open.hosts.map((h) => h.host)).toEqual([name("a", 0), name("a", 1), name("a", 2)]);
    expect(asked).toHaveLength(3);
    const backingOff = await loadHosts(fakeObjects().ctx, query({ state: "backing-off" }));
    expect(backingOff.hosts).toEqual([]);
    expect(backingOff.leftOut).toBe(3);
    const one = await loadHosts(fakeObjects().ctx, query({ host: name("z", 5) }));
    expect(one.hosts.map((h) => h.host)).toEqual([name("z", 5)]);
  });

  it("tells gone a host its object clears that the mirror still lists as failing", async () => {
    const gone = name("g", 1);
    const [stale, kept] = [name("g", 2), name("g", 3)];
    // The mirror is behind: backing off. Its latest answers were 410s, no follower is there.
    await db()
      .insert(hostStates)
      .values([listed(gone, "backingOff"), listed(stale, "backingOff")]);
    await db()
      .insert(hostContacts)
      .values([
        { host: gone, lastSuccessAt: new Date(1_000), goneAt: new Date(2_000) },
        { host: kept, lastSuccessAt: new Date(3_000), goneAt: null },
      ]);
    const { ctx, asked } = fakeObjects();
    const list = await loadHosts(ctx, query({ state: "gone" }));
    expect(list.hosts.map((h) => [h.host, h.condition])).toEqual([[gone, "gone"]]);
    expect(asked).toEqual([gone]);
    expect(list.hosts[0]).toMatchObject({ lastSuccess: new Date(1_000), flavour: "rfc9421" });
    // The one that never answered 404/410 is healthy, asked; the one only reached, healthy.
    const all = await loadHosts(fakeObjects().ctx, query());
    const states = new Map(all.hosts.map((h) => [h.host, h.condition]));
    expect([states.get(gone), states.get(stale), states.get(kept)]).toEqual([
      "gone",
      "healthy",
      "healthy",
    ]);
  });

  it("says when the mirror lists more hosts than a page reads", async () => {
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
       INSERT INTO host_states (host, state, flavour, updated_at)
       SELECT 'm' || i || '.many.test', 'slow', 'cavage', 0 FROM n`,
    ).run();
    const list = await loadHosts(fakeObjects().ctx, query());
    expect(list.cutOffAt).toBe(10_000);
    const browser = await signedInBrowser("10.73.0.1");
    const html = await (await get(browser, "/admin/hosts?state=unavailable")).text();
    expect(html).toContain("The list is cut off");
  });
});
