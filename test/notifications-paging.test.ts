/**
 * The owner's notifications, a page at a time: `max_id`, `since_id`, `min_id` and `limit`, the
 * `Link` headers, for the list (`/api/v1/notifications`) and the groups (`/api/v2/...`).
 */
import { describe, expect, it } from "vitest";
import { api, linksOf, seedNote } from "./helpers";
import { type Grouped, mention, v1, v2 } from "./support/notifications";
import { accepted, ORIGIN, RemoteActor } from "./support/remote";

describe("paging", () => {
  it("pages the list with max_id, since_id and min_id, and says where with Link", async () => {
    const author = await RemoteActor.create({ host: "pager.test", username: "pager" });
    for (let n = 0; n < 5; n++) {
      await accepted(
        author,
        author.activity("Create", author.note(`<p>${n}</p>`, { tag: [mention] })),
      );
    }
    const all = (await v1("types[]=mention&limit=80")).list.map((n) => n.id);
    expect(all.length).toBeGreaterThanOrEqual(5);

    const first = await v1("types[]=mention&limit=2");
    expect(first.list.map((n) => n.id)).toEqual(all.slice(0, 2));
    const next = linksOf(first.res).next;
    const prev = linksOf(first.res).prev;
    expect(next).toBe(
      `${ORIGIN}/api/v1/notifications?limit=2&types%5B%5D=mention&max_id=${all[1]}`,
    );
    expect(prev).toBe(
      `${ORIGIN}/api/v1/notifications?limit=2&types%5B%5D=mention&min_id=${all[0]}`,
    );
    const second = await v1(next as string);
    expect(second.list.map((n) => n.id)).toEqual(all.slice(2, 4));
    const back = await v1(linksOf(second.res).prev as string);
    expect(back.list.map((n) => n.id)).toEqual(all.slice(0, 2));

    // since_id: the newest after it; min_id: those just after it.
    const since = await v1(`types[]=mention&limit=2&since_id=${all[3]}`);
    expect(since.list.map((n) => n.id)).toEqual(all.slice(0, 2));
    const after = await v1(`types[]=mention&limit=2&min_id=${all[3]}`);
    expect(after.list.map((n) => n.id)).toEqual(all.slice(1, 3));

    // Nothing newer: an empty page, and no Link.
    const newest = await v1(`types[]=mention&min_id=${all[0]}`);
    expect(newest.list).toEqual([]);
    expect(newest.res.headers.get("Link")).toBeNull();
  });

  it("pages groups: limit counts groups, and Link goes on below the last group's newest", async () => {
    const notes = [await seedNote(), await seedNote(), await seedNote()];
    const fans = await RemoteActor.crowd("pagefan", 2);
    for (const note of notes) for (const fan of fans) await accepted(fan, fan.like(note.id));
    const keys = (body: Grouped) => body.notification_groups.map((g) => g.group_key);
    const all = keys((await v2("types[]=favourite&limit=80")).body);
    const ours = notes.map((n) => all.findIndex((k) => k.startsWith(`favourite-${n.seq}-`)));
    // Newest first: the last note liked leads.
    expect(ours).toEqual([2, 1, 0]);

    const first = await v2("types[]=favourite&limit=2");
    expect(keys(first.body)).toEqual(all.slice(0, 2));
    expect(first.body.notification_groups.map((g) => g.notifications_count)).toEqual([2, 2]);
    const [newest, second] = first.body.notification_groups;
    expect(linksOf(first.res).next).toBe(
      `${ORIGIN}/api/v2/notifications?limit=2&types%5B%5D=favourite&max_id=${second?.most_recent_notification_id}`,
    );
    expect(linksOf(first.res).prev).toBe(
      `${ORIGIN}/api/v2/notifications?limit=2&types%5B%5D=favourite&min_id=${newest?.most_recent_notification_id}`,
    );
    // As on Mastodon, the next page starts below the last group's newest notification: that
    // group's older one comes again (counted up to the page), then the next group.
    const rest = await v2(linksOf(first.res).next as string);
    expect(keys(rest.body)).toEqual(all.slice(1, 3));
    expect(rest.body.notification_groups.map((g) => g.notifications_count)).toEqual([1, 2]);
    // The page's range held only the newest of that group; the next page has the older one.
    expect(second?.page_min_id).toBe(second?.page_max_id);
    expect(BigInt(rest.body.notification_groups[0]?.page_max_id ?? 0)).toBeLessThan(
      BigInt(second?.page_min_id ?? 0),
    );
    const back = await v2(linksOf(rest.res).prev as string);
    expect(keys(back.body)).toEqual(all.slice(0, 2));
  });

  it("leaves the types not in grouped_types[] ungrouped", async () => {
    const ours = await seedNote();
    for (const fan of await RemoteActor.crowd("ungrouped", 2))
      await accepted(fan, fan.like(ours.id));
    const all = (await v1("types[]=favourite&limit=80")).list;
    expect(all.length).toBeGreaterThanOrEqual(2);
    const { body } = await v2("types[]=favourite&grouped_types[]=follow&limit=80");
    expect(body.notification_groups.map((g) => g.group_key)).toEqual(
      all.map((n) => `ungrouped-${n.id}`),
    );
    expect(body.notification_groups.every((g) => g.notifications_count === 1)).toBe(true);
  });

  it("answers 400 with an error for malformed parameters, and nothing for unknown types", async () => {
    for (const version of ["v1", "v2"]) {
      for (const query of [
        "limit=0",
        "limit=abc",
        "max_id=abc",
        "since_id=-1",
        "min_id=1.5",
        "types[]=%3Cb%3E",
        "exclude_types[]=a%20b",
      ]) {
        const res = await api(`/${version}/notifications?${query}`);
        expect(res.status, `${version} ${query}`).toBe(400);
        expect(await res.json()).toEqual({ error: expect.any(String) });
      }
    }
    expect((await v1("types[]=poll")).list).toEqual([]);
    expect((await v2("types[]=poll")).body.notification_groups).toEqual([]);
    // Everything but mentions.
    const { list } = await v1("exclude_types[]=mention&limit=80");
    expect(list.length).toBeGreaterThan(0);
    expect(list.some((n) => n.type === "mention")).toBe(false);
    // A limit above 80 is lowered to it (the Link URLs repeat the limit used).
    const capped = await v1("limit=500");
    expect(capped.list.length).toBeGreaterThan(0);
    expect(linksOf(capped.res).prev).toMatch(/[?&]limit=80(&|$)/);
  });
});
