/** The owner bookmarks a status and removes the bookmark: theirs alone, nothing is sent. */
import type { AppContext } from "../../context";
import { runBatch } from "../../storage/db";
import { bookmarkStatement, unbookmarkStatement } from "../../storage/marked";
import type { NoteRow } from "../../storage/schema";
import { visibleNoteOfStatusId } from "../../storage/threads";
import { type ActionResult, fail } from "./commit";

/**
 * Bookmarks (or, `keep` false, unbookmarks) a status the owner may see; a boost's id names
 * the note it boosts. Doing it twice changes nothing.
 */
export async function markBookmark(
  ctx: Pick<AppContext, "db" | "config" | "now">,
  id: bigint,
  keep: boolean,
): Promise<ActionResult<NoteRow>> {
  const { db } = ctx;
  const note = await visibleNoteOfStatusId(db, { id, owner: ctx.config.urls.owner.id });
  if (note === undefined) return fail(404, "no such status");
  await runBatch(db, [
    keep
      ? bookmarkStatement(db, { note: note.id, at: ctx.now() })
      : unbookmarkStatement(db, note.id),
  ]);
  return { ok: true, value: note };
}
