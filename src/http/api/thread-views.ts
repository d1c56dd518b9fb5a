/**
 * Loading and serialising what a status's own pages answer: the status (the owner may see
 * it), its context, its edit history, its source, and the accounts that liked or boosted it.
 */
import { sourceText } from "../../activitypub/source";
import type { AppContext } from "../../context";
import { threadOf } from "../../federation/threads";
import { isBoostId, parseMastodonId } from "../../mastodon/ids";
import {
  type MastodonAccount,
  type MastodonStatus,
  serializeStatus,
} from "../../mastodon/serialize";
import {
  type MastodonStatusEdit,
  serializeStatusEdit,
  serializeStatusSource,
} from "../../mastodon/status-edits";
import { noteVersionsOf } from "../../storage/note-versions";
import { withTags } from "../../storage/notes";
import { boostByApiId } from "../../storage/reactions";
import type { NoteRow } from "../../storage/schema";
import { loadStatusData } from "../../storage/statuses";
import { visibleNoteByApiId } from "../../storage/threads";
import { ownerAccount, statusById, statusesFor } from "../../views/statuses";
import { accountsByActor } from "./account-views";

type ViewContext = Pick<AppContext, "db" | "config" | "now">;

/** The note a status id names, if it is a note (not a boost) the owner may see. */
export function visibleNote(ctx: ViewContext, id: bigint): Promise<NoteRow | undefined> {
  if (isBoostId(id)) return Promise.resolve(undefined);
  return visibleNoteByApiId(ctx.db, { id, owner: ctx.config.urls.owner.id });
}

/** Whether a status id (as the path gave it) names a stored boost. */
export async function isBoost(ctx: ViewContext, param: string): Promise<boolean> {
  const id = parseMastodonId(param);
  return id !== undefined && isBoostId(id) && (await boostByApiId(ctx.db, id)) !== undefined;
}

/**
 * The status an id names, if the owner may see it: a note, or a boost (shown as a status of
 * its own, the original inside it).
 */
export function visibleStatusById(
  ctx: ViewContext,
  id: bigint,
): Promise<MastodonStatus | undefined> {
  return statusById(ctx, id, (n) => visibleNote(ctx, n));
}

/** A status's context, as Mastodon's Context entity: its ancestors and its descendants. */
export async function contextOf(
  ctx: ViewContext & Pick<AppContext, "queue" | "cache">,
  note: NoteRow,
): Promise<{ ancestors: MastodonStatus[]; descendants: MastodonStatus[] }> {
  const thread = await threadOf(ctx, note);
  // One load for both lists; each is then taken in its order.
  const statuses = await statusesFor(ctx, [...thread.ancestors, ...thread.descendants]);
  const byUri = new Map(statuses.map((s) => [s.uri, s]));
  const shown = (notes: readonly NoteRow[]) => notes.flatMap((n) => byUri.get(n.id) ?? []);
  return { ancestors: shown(thread.ancestors), descendants: shown(thread.descendants) };
}

/**
 * A status's versions, oldest first, the current one last (Mastodon answers a status never
 * edited with its one version). Each is shown as the status was with its text.
 */
export async function historyOf(ctx: ViewContext, note: NoteRow): Promise<MastodonStatusEdit[]> {
  const [versions, owner, data] = await Promise.all([
    noteVersionsOf(ctx.db, note.id),
    ownerAccount(ctx),
    loadStatusData(ctx.db, { rows: [note], owner: ctx.config.urls.owner.id }),
  ]);
  const [item] = data.items;
  if (item === undefined) return [];
  const view = { config: ctx.config, owner, data };
  const earlier = versions.map((version) => {
    const { content, summary, sensitive, attachments } = version;
    const then = { ...note, content, summary, sensitive, attachments };
    return serializeStatusEdit(serializeStatus(view, { ...item, note: then }), version.createdAt);
  });
  const now = serializeStatusEdit(serializeStatus(view, item), note.updated ?? note.published);
  return [...earlier, now];
}

/** What the owner wrote of a note of theirs: its text (from its HTML and mentions), its CW. */
export async function sourceOf(ctx: ViewContext, note: NoteRow) {
  const [item] = await withTags(ctx.db, [note]);
  const mentions = (item?.tags ?? []).filter((t) => t.type === "Mention");
  return serializeStatusSource(note, sourceText(note.content, mentions));
}

/** The accounts of actors, in their order: the owner's, and the remote ones stored. */
export async function accountsOf(
  ctx: ViewContext,
  actors: readonly string[],
): Promise<MastodonAccount[]> {
  const accounts = await accountsByActor(ctx, actors);
  return actors.flatMap((actor) => accounts.get(actor) ?? []);
}
