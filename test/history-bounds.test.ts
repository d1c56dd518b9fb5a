/**
 * A note's edit history kept bounded: the newest `MAX_NOTE_VERSIONS` earlier versions are
 * kept and shown, and a note's versions go with it (the owner's delete, its author's
 * `Delete` of it or of themselves).
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { MAX_NOTE_VERSIONS } from "../src/storage/note-versions";
import { noteVersions } from "../src/storage/schema";
import { api, db, OWNER } from "./helpers";
import { RemoteActor } from "./support/remote";

describe("history's bounds", { timeout: 20_000 }, () => {
  const versionsOf = (note: string) =>
    db().select().from(noteVersions).where(eq(noteVersions.note, note));
  const put = async (id: string, status: string) =>
    expect((await api(`/v1/statuses/${id}`, { method: "PUT", body: { status } })).status).toBe(200);

  it("keeps a note's newest versions only, and shows at most those", async () => {
    const posted = (await (await api("/v1/statuses", { body: { status: "v0" } })).json()) as {
      id: string;
      uri: string;
    };
    // More than the cap, as kept before it (or by a busy remote author).
    const many = MAX_NOTE_VERSIONS + 10;
    // D1 binds 100 parameters a statement: 20 rows at a time.
    for (let from = 0; from < many; from += 20) {
      const rows = Array.from({ length: Math.min(20, many - from) }, (_, i) => ({
        note: posted.uri,
        content: `<p>old ${from + i}</p>`,
        sensitive: false,
        createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, from + i)),
      }));
      await db().insert(noteVersions).values(rows);
    }
    const shown = (await (await api(`/v1/statuses/${posted.id}/history`)).json()) as {
      content: string;
    }[];
    expect(shown).toHaveLength(MAX_NOTE_VERSIONS + 1);
    expect(shown[0]?.content).toBe(`<p>old ${many - MAX_NOTE_VERSIONS}</p>`);
    expect(shown.at(-1)?.content).toBe("<p>v0</p>");
    // An edit keeps its version and drops the oldest beyond the cap.
    await put(posted.id, "v1");
    const kept = await versionsOf(posted.uri);
    expect(kept).toHaveLength(MAX_NOTE_VERSIONS);
    expect(kept.map((v) => v.content)).toContain("<p>v0</p>");
    expect(kept.map((v) => v.content)).not.toContain(`<p>old ${many - MAX_NOTE_VERSIONS}</p>`);
  });

  it("forgets a note's versions with the note: the owner's delete, a remote Delete, its author's", async () => {
    const posted = (await (await api("/v1/statuses", { body: { status: "to go" } })).json()) as {
      id: string;
      uri: string;
    };
    await put(posted.id, "going");
    expect(await versionsOf(posted.uri)).toHaveLength(1);
    expect((await api(`/v1/statuses/${posted.id}`, { method: "DELETE" })).status).toBe(200);
    expect(await versionsOf(posted.uri)).toEqual([]);

    const gus = await RemoteActor.create({ host: "thr-gus.test", username: "gus" });
    const hil = await RemoteActor.create({ host: "thr-gus.test", username: "hil" });
    const notesOf = [gus, hil].map((author) =>
      author.note("<p>before</p>", { tag: [{ type: "Mention", href: OWNER, name: "@owner" }] }),
    );
    for (const [i, author] of [gus, hil].entries()) {
      const note = notesOf[i] as (typeof notesOf)[number];
      expect((await author.send(author.activity("Create", note))).status).toBe(202);
      const edited = { ...note, content: "<p>after</p>", updated: new Date().toISOString() };
      expect((await author.send(author.activity("Update", edited))).status).toBe(202);
      expect(await versionsOf(note.id)).toHaveLength(1);
    }
    const [gusNote, hilNote] = notesOf as [(typeof notesOf)[number], (typeof notesOf)[number]];
    // Someone else's Delete of gus's note deletes nothing.
    expect((await hil.send(hil.activity("Delete", gusNote.id))).status).toBe(202);
    expect(await versionsOf(gusNote.id)).toHaveLength(1);
    expect((await gus.send(gus.activity("Delete", gusNote.id))).status).toBe(202);
    expect(await versionsOf(gusNote.id)).toEqual([]);
    expect((await hil.send(hil.activity("Delete", hil.id))).status).toBe(202);
    expect(await versionsOf(hilNote.id)).toEqual([]);
  });
});
