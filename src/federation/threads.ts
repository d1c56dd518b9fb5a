/**
 * A status's context, as Mastodon answers it: the notes it answers, from the thread's root
 * down, and the replies below it, depth-first, the author's own continuations first; only
 * what the owner may see, and nothing by an account they blocked or muted (or on a domain
 * they blocked). A note missing from the chain is fetched through the queue, never while the
 * owner waits: the next look at the thread shows it. One asked for lately, or that could not
 * be had, is not asked for again for a while (`cache/context-fetches.ts`).
 */
import { fetchedLately, rememberFetch } from "../cache/context-fetches";
import type { AppContext } from "../context";
import { findNote } from "../storage/notes";
import type { NoteRow } from "../storage/schema";
import { CONTEXT_LIMITS, readThread, type ThreadNote } from "../storage/threads";
import { enqueue } from "./queue/send";

export interface Thread {
  /** The thread's root first, the note's parent last. */
  readonly ancestors: readonly NoteRow[];
  /** Depth-first, each note's replies oldest first, self-replies brought forward. */
  readonly descendants: readonly NoteRow[];
}

/**
 * The chain up from a note, root first, and the first id of it that is not stored (where
 * the chain stops short of its root within the bound). Notes the owner may not see are
 * walked through and left out.
 */
export function orderAncestors(
  note: NoteRow,
  found: readonly ThreadNote[],
): { ancestors: NoteRow[]; missing?: string; walked: number } {
  const byId = new Map(found.map((t) => [t.note.id, t]));
  const chain: ThreadNote[] = [];
  const seen = new Set([note.id]);
  let next = note.inReplyTo;
  let missing: string | undefined;
  while (next !== null && chain.length < CONTEXT_LIMITS.ancestors && !seen.has(next)) {
    const parent = byId.get(next);
    if (parent === undefined) {
      missing = next;
      break;
    }
    seen.add(next);
    chain.push(parent);
    next = parent.note.inReplyTo;
  }
  const ancestors = chain
    .reverse()
    .filter((t) => t.visible)
    .map((t) => t.note);
  return { ancestors, missing, walked: chain.length };
}

const byTime = (a: ThreadNote, b: ThreadNote) =>
  a.note.published.getTime() - b.note.published.getTime() || a.note.seq - b.note.seq;

/**
 * The replies below `root` in Mastodon's order: depth-first, each note's replies oldest
 * first (as the query walked them), the visible ones; then the replies whose author answers
 * their own note brought before the others, each group in that order (Mastodon's
 * "self-replies first").
 */
export function orderDescendants(root: NoteRow, found: readonly ThreadNote[]): NoteRow[] {
  const children = Map.groupBy(found, (t) => t.note.inReplyTo ?? "");
  const authorOf = new Map([
    [root.id, root.attributedTo],
    ...found.map((t) => [t.note.id, t.note.attributedTo] as const),
  ]);
  const walked: ThreadNote[] = [];
  const seen = new Set([root.id]);
  const visit = (id: string) => {
    for (const child of (children.get(id) ?? []).toSorted(byTime)) {
      if (seen.has(child.note.id)) continue;
      seen.add(child.note.id);
      walked.push(child);
      visit(child.note.id);
    }
  };
  visit(root.id);
  const shown = walked.filter((t) => t.visible).map((t) => t.note);
  const isSelfReply = (note: NoteRow) =>
    note.inReplyTo !== null && authorOf.get(note.inReplyTo) === note.attributedTo;
  return [...shown.filter(isSelfReply), ...shown.filter((n) => !isSelfReply(n))];
}

/** Whether a missing parent is worth fetching: another server's note, by an http(s) URL. */
function fetchable(ctx: Pick<AppContext, "config">, id: string): boolean {
  const url = URL.parse(id);
  const web = url !== null && (url.protocol === "https:" || url.protocol === "http:");
  return web && !id.startsWith(`${ctx.config.origin}/`);
}

/**
 * Queues the fetch of a thread's note not stored, unless it was asked for or failed lately
 * (`cache/context-fetches.ts`): every look at a thread would ask again for a parent that
 * cannot be had. A failure to queue is only logged: the answer stands.
 */
async function askFor(
  ctx: Pick<AppContext, "cache" | "queue">,
  wanted: { id: string; above: number },
): Promise<void> {
  const { id, above } = wanted;
  if (await fetchedLately(ctx.cache, id)) return;
  try {
    await enqueue(ctx, [{ body: { v: 1, type: "fetchObject", id, purpose: "context", above } }]);
  } catch (error) {
    console.warn(
      `context: fetch of ${id} not queued: ${error instanceof Error ? error.message : "error"}`,
    );
    return;
  }
  await rememberFetch(ctx.cache, id, "asked");
}

/**
 * The context of a note the owner may see, in one round trip. When its chain of parents
 * stops at a note not stored, that note is fetched through the queue (and the ones above
 * it, up to the context's bound), unless it was asked for lately.
 */
export async function threadOf(
  ctx: Pick<AppContext, "db" | "config" | "queue" | "cache" | "now">,
  note: NoteRow,
): Promise<Thread> {
  const viewer = { owner: ctx.config.urls.owner.id, now: ctx.now() };
  const found = await readThread(ctx.db, { ...viewer, note });
  const { ancestors, missing, walked } = orderAncestors(note, found.ancestors);
  if (missing !== undefined && fetchable(ctx, missing)) {
    // After it, as many more as the context still has room for.
    await askFor(ctx, { id: missing, above: Math.max(CONTEXT_LIMITS.ancestors - walked - 1, 0) });
  }
  return { ancestors, descendants: orderDescendants(note, found.descendants) };
}

/**
 * After a thread's missing note was fetched: its own parent is queued next when it is not
 * stored either and the context has room for it (`above`), so that one look at a thread
 * brings in the chain above it, a message per note, bounded.
 */
export async function fetchAbove(
  ctx: Pick<AppContext, "db" | "config" | "queue" | "cache">,
  fetched: { note: { readonly inReplyTo?: string }; above: number },
): Promise<void> {
  const parent = fetched.note.inReplyTo;
  if (fetched.above <= 0 || parent === undefined || !fetchable(ctx, parent)) return;
  if ((await findNote(ctx.db, parent)) !== undefined) return;
  await askFor(ctx, { id: parent, above: fetched.above - 1 });
}

/**
 * Whether a thread's note to fetch is stored already (the thread was looked at again while
 * its fetch waited); if so, the chain above it is carried on from the stored note.
 */
export async function storedAlready(
  ctx: Pick<AppContext, "db" | "config" | "queue" | "cache">,
  message: { id: string; above?: number },
): Promise<boolean> {
  const stored = await findNote(ctx.db, message.id);
  if (stored === undefined) return false;
  const note = { inReplyTo: stored.inReplyTo ?? undefined };
  await fetchAbove(ctx, { note, above: message.above ?? 0 });
  return true;
}
