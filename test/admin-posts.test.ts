/**
 * The dashboard's posts pages stay bounded however many hosts a post went to: the list counts
 * each post's hosts by state in D1 (its latest activity's), and a post's page lists one
 * activity's hosts (the latest's unless asked), 100 a page, the others' counts only.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { deliveryBatches, deliveryFailures, outbox } from "../src/storage/schema";
import { db, OWNER, seedNote } from "./helpers";
import { type Browser, get, post, signedInBrowser } from "./support/admin";

let browser: Browser;
let note: Awaited<ReturnType<typeof seedNote>>;

const host = (i: number) => `h${String(i).padStart(3, "0")}.posts.admin.test`;

/** The rows of a post's page: each listed host and its state, in order. */
async function hostRows(path: string): Promise<{ html: string; rows: [string, string][] }> {
  const res = await get(browser, path);
  expect(res.status, path).toBe(200);
  const html = await res.text();
  const rows = [...html.matchAll(/<tr data-host="([^"]+)" data-state="([^"]+)">/g)].map(
    (m): [string, string] => [m[1] ?? "", m[2] ?? ""],
  );
  return { html, rows };
}

beforeAll(async () => {
  browser = await signedInBrowser("10.72.0.1");
  note = await seedNote({ content: "<p>sent far and wide</p>" });
  const activityId = `${note.id}/activity`;
  const now = new Date();
  // 150 hosts: 120 in a done batch (four of them failing since), 30 in a pending one.
  await db()
    .insert(deliveryBatches)
    .values([
      {
        id: "posts-b1",
        activityId,
        hosts: Array.from({ length: 120 }, (_, i) => host(i)),
        state: "done",
        createdAt: now,
        doneAt: now,
      },
      {
        id: "posts-b2",
        activityId,
        hosts: Array.from({ length: 30 }, (_, i) => host(120 + i)),
        state: "pending",
        createdAt: now,
      },
    ]);
  const failure = (i: number, state: "retrying" | "parked" | "failed") => ({
    activityId,
    host: host(i),
    state,
    inboxes: [`https://${host(i)}/inbox`],
    attempts: 3,
    lastError: "HTTP 500",
    updatedAt: now,
  });
  await db()
    .insert(deliveryFailures)
    .values([
      failure(5, "retrying"),
      failure(6, "parked"),
      failure(7, "failed"),
      failure(110, "parked"),
    ]);
});

describe("the posts list", () => {
  it("counts the latest activity's hosts by state", async () => {
    const html = await (await get(browser, "/admin/posts")).text();
    const row = html.match(
      /<tr><td><a href="[^"]+">[^<]*<\/a><\/td><td>sent far and wide.*?<\/tr>/,
    )?.[0];
    expect(row).toBeDefined();
    for (const part of [
      "Create: ",
      "116 delivered",
      "30 pending",
      "1 retrying",
      "2 parked",
      "1 failed",
    ]) {
      expect(row).toContain(part);
    }
  });
});

describe("a post's page", () => {
  it("lists its hosts 100 a page, with where each stands", async () => {
    const page = `/admin/posts/${note.statusId}`;
    const first = await hostRows(page);
    expect(first.rows).toHaveLength(100);
    expect(first.rows[0]).toEqual([host(0), "delivered"]);
    expect(first.rows.slice(5, 8)).toEqual([
      [host(5), "retrying"],
      [host(6), "parked"],
      [host(7), "failed"],
    ]);
    expect(first.html).toContain("HTTP 500");
    expect(first.html).toContain("Hosts 1–100 of 150.");
    const next = `${page}?activity=1&amp;page=2`;
    expect(first.html).toContain(`href="${next}">Next</a>`);

    const second = await hostRows(`${page}?activity=1&page=2`);
    expect(second.rows).toHaveLength(50);
    expect(second.rows[0]).toEqual([host(100), "delivered"]);
    expect(second.rows[10]).toEqual([host(110), "parked"]);
    expect(second.rows.at(-1)).toEqual([host(149), "pending"]);
    expect(second.html).toContain("Hosts 101–150 of 150.");
    // "Retry now" brings the owner back to the page it was pressed on.
    expect(second.html).toContain(`name="back" value="${page}?activity=1&amp;page=2"`);
  });

  it("lists the latest activity's hosts, and the others' counts with a way to theirs", async () => {
    const updateId = `${note.id}/update/1`;
    await db()
      .insert(outbox)
      .values({
        id: updateId,
        actor: OWNER,
        type: "Update",
        objectId: note.id,
        visibility: "public",
        payload: { id: updateId, type: "Update", actor: OWNER, object: note.id },
        published: new Date(),
      });
    await db()
      .insert(deliveryBatches)
      .values({
        id: "posts-b3",
        activityId: updateId,
        hosts: [host(1), host(2)],
        state: "done",
        createdAt: new Date(),
        doneAt: new Date(),
      });
    const page = `/admin/posts/${note.statusId}`;
    const { html, rows } = await hostRows(page);
    expect(rows).toEqual([
      [host(1), "delivered"],
      [host(2), "delivered"],
    ]);
    const create = html.match(/<section class="activity" data-type="Create">(.*?)<\/section>/)?.[1];
    expect(create).toContain("116 delivered");
    expect(create).toContain(`href="${page}?activity=1&amp;page=1">Show its hosts</a>`);
    expect((await hostRows(`${page}?activity=1&page=1`)).rows).toHaveLength(100);
    // An activity or a page out of range: the latest's hosts, or none.
    expect((await hostRows(`${page}?activity=9`)).rows).toHaveLength(2);
    expect((await hostRows(`${page}?activity=2&page=3`)).rows).toEqual([]);
    const list = await (await get(browser, "/admin/posts")).text();
    expect(list).toMatch(/Update: <span><span class="good">2 delivered<\/span><\/span>/);
  });

  it("sends retry now back to the page of hosts it was pressed on", async () => {
    const back = `/admin/posts/${note.statusId}?activity=1&page=2`;
    const res = await post(browser, "/admin/hosts/retry", { fields: { host: host(6), back } });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(back);
  });
});
