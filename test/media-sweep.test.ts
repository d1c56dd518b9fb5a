/**
 * The cron removes uploaded files nothing uses any more, from the real local R2 and D1: an
 * upload never attached for a day, the files of a deleted post, a replaced avatar; never
 * what a post or the profile shows, and a bounded batch a run.
 */
import { env } from "cloudflare:workers";
import { asc, eq, gte } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { MEDIA_SWEEP_PER_RUN } from "../src/federation/housekeeping";
import { updateProfile } from "../src/federation/publish/profile";
import { saveMedia } from "../src/media/store";
import { runBatch } from "../src/storage/db";
import { attachMediaStatements } from "../src/storage/media";
import { type MediaPurpose, media, notes } from "../src/storage/schema";
import { api, appContext, db, runCron, seedNote } from "./helpers";

const HOUR = 3600_000;

/** Stores a small file as uploaded `hoursAgo` hours ago; its row. */
async function uploaded(hoursAgo: number, purpose: MediaPurpose = "attachment") {
  const body = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);
  return saveMedia(
    { ...appContext(), now: () => new Date(Date.now() - hoursAgo * HOUR) },
    { kind: "image", mediaType: "image/png", extension: "png", body, size: body.byteLength },
    { purpose },
  );
}

/** Attaches a file to a note, as a post does. */
const attach = (seq: number, note: string) =>
  db().update(media).set({ note, position: 0 }).where(eq(media.seq, seq));

/** Moves a deleted note's deletion `hours` back, as if a day had passed. */
const deletedHoursAgo = (id: string, hours: number) =>
  db()
    .update(notes)
    .set({ deletedAt: new Date(Date.now() - hours * HOUR) })
    .where(eq(notes.id, id));

/** Whether the file is still there: its object in R2, its row in D1 (both or neither). */
async function kept(row: { seq: number; key: string }): Promise<boolean> {
  const object = await env.MEDIA.head(row.key);
  const [stored] = await db().select().from(media).where(eq(media.seq, row.seq));
  expect(object === null, `object and row of ${row.key} go together`).toBe(stored === undefined);
  return object !== null;
}

describe("the media sweep", () => {
  it("removes an upload never attached for a day, keeps a younger one and one a post uses", async () => {
    const forgotten = await uploaded(25);
    const recent = await uploaded(23);
    const posted = await uploaded(25);
    const { id } = await seedNote();
    await attach(posted.seq, id);
    await runCron();
    expect(await kept(forgotten)).toBe(false);
    expect(await kept(recent)).toBe(true);
    expect(await kept(posted)).toBe(true);
  });

  it("removes the files of a deleted post a day after it was deleted (a redraft may take them)", async () => {
    const file = await uploaded(1);
    const { id, statusId } = await seedNote();
    await attach(file.seq, id);
    await runCron();
    expect(await kept(file)).toBe(true);
    expect((await api(`/v1/statuses/${statusId}`, { method: "DELETE" })).status).toBe(200);
    await runCron();
    expect(await kept(file)).toBe(true);
    await deletedHoursAgo(id, 25);
    await runCron();
    expect(await kept(file)).toBe(false);
  });

  it("keeps a file an edit set aside while its post lives (its history shows it), then removes it", async () => {
    const [first, second] = [await uploaded(30), await uploaded(30)];
    const { id, statusId } = await seedNote();
    await attach(first.seq, id);
    // An edit that swaps the picture, as PUT /api/v1/statuses/:id does.
    await runBatch(db(), attachMediaStatements(db(), id, [second.seq]));
    await runCron();
    expect(await kept(first)).toBe(true);
    expect(await kept(second)).toBe(true);
    expect((await api(`/v1/statuses/${statusId}`, { method: "DELETE" })).status).toBe(200);
    await deletedHoursAgo(id, 25);
    await runCron();
    expect(await kept(first)).toBe(false);
    expect(await kept(second)).toBe(false);
  });

  it("removes a replaced avatar or header a day on, never the ones shown", async () => {
    const oldAvatar = await uploaded(50, "avatar");
    const avatar = await uploaded(25, "avatar");
    const oldHeader = await uploaded(2, "header");
    const header = await uploaded(26, "header");
    await updateProfile(appContext(), { avatarKey: avatar.key, headerKey: header.key });
    await runCron();
    expect(await kept(oldAvatar)).toBe(false);
    expect(await kept(avatar)).toBe(true);
    // Replaced two hours ago: an app may still show it for a while.
    expect(await kept(oldHeader)).toBe(true);
    expect(await kept(header)).toBe(true);

    // Replaced now, though made long ago: it counts its day from its replacing.
    const newer = await uploaded(1, "avatar");
    await updateProfile(appContext(), { avatarKey: newer.key });
    await runCron();
    expect(await kept(avatar)).toBe(true);
    await db()
      .update(media)
      .set({ createdAt: new Date(Date.now() - 25 * HOUR) })
      .where(eq(media.seq, avatar.seq));
    await runCron();
    expect(await kept(avatar)).toBe(false);
    expect(await kept(newer)).toBe(true);
  });

  it(`removes at most ${MEDIA_SWEEP_PER_RUN} files a run, the oldest first; the rest go at the next`, async () => {
    await runCron();
    const rows = [];
    for (let i = 0; i < MEDIA_SWEEP_PER_RUN + 20; i++) rows.push(await uploaded(100 - i / 10));
    await runCron();
    const left = await db()
      .select({ seq: media.seq })
      .from(media)
      .where(gte(media.seq, rows[0]?.seq ?? 0))
      .orderBy(asc(media.seq));
    expect(left.map((r) => r.seq)).toEqual(rows.slice(MEDIA_SWEEP_PER_RUN).map((r) => r.seq));
    for (const [i, row] of rows.entries()) {
      expect(await env.MEDIA.head(row.key), row.key).toEqual(
        i < MEDIA_SWEEP_PER_RUN ? null : expect.anything(),
      );
    }
    await runCron();
    for (const row of rows) expect(await env.MEDIA.head(row.key)).toBeNull();
  });
});
