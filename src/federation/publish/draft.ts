/**
 * The owner's text made into a note: its HTML, hashtags and mentions (each resolved to an
 * actor, through WebFinger when we do not know it), its attachments, and its addressing, as
 * we store it and as the activity carrying it publishes it.
 */
import { addressFor } from "../../activitypub/addressing";
import { composeHtml, findHandles, type ResolvedMention } from "../../activitypub/compose";
import { type NoteRelations, toNote } from "../../activitypub/note";
import type { AppContext } from "../../context";
import type { NoteInput } from "../../storage/notes";
import type { NoteAttachment, NoteRow, Visibility } from "../../storage/schema";
import { resolveHandle } from "../resolve";

/** Mentions resolved per post, at most: each may cost a WebFinger and an actor fetch. */
const MAX_MENTIONS = 20;

export interface StatusInput {
  /** What the owner wrote; empty for a post of media alone. */
  readonly text: string;
  readonly visibility: Visibility;
  /** The Mastodon id of the status replied to (a boost's answers the note it boosts). */
  readonly inReplyTo?: bigint;
  readonly spoilerText?: string;
  readonly sensitive?: boolean;
  readonly language?: string;
}

/** Resolves the handles a text mentions, concurrently; those that fail stay text. */
async function resolveMentions(ctx: AppContext, text: string): Promise<ResolvedMention[]> {
  const handles = findHandles(text).slice(0, MAX_MENTIONS);
  const resolved = await Promise.all(handles.map((h) => resolveHandle(ctx, h)));
  return handles.flatMap((handle, i) => {
    const r = resolved[i];
    return r?.ok ? [{ ...handle, id: r.actor.id, url: r.actor.url ?? r.actor.id }] : [];
  });
}

export interface DraftInput {
  readonly status: StatusInput;
  /** The note's local id (the last segment of its IRI). */
  readonly slug: string;
  readonly parent: NoteRow | undefined;
  readonly published: Date;
  /** For an edit: when it was edited. */
  readonly updated?: Date;
  /** The files it carries, in order (`attachments.ts` makes them of the owner's uploads). */
  readonly attachments?: readonly NoteAttachment[];
}

/** The note a text makes: its HTML, tags, and addressing. */
export async function draftNote(ctx: AppContext, input: DraftInput): Promise<NoteInput> {
  const { status, parent } = input;
  const { urls, origin } = ctx.config;
  const tagUrl = (tag: string) => `${origin}/tags/${encodeURIComponent(tag)}`;
  const composed = composeHtml(status.text, {
    mentions: await resolveMentions(ctx, status.text),
    tagUrl,
  });
  // The author replied to is addressed too (unless the post is direct: then only mentions).
  const replied =
    parent !== undefined && parent.attributedTo !== urls.owner.id && status.visibility !== "direct"
      ? [parent.attributedTo]
      : [];
  const { to, cc } = addressFor(status.visibility, urls.owner.followers, [
    ...composed.mentions.map((m) => m.id),
    ...replied,
  ]);
  const relations: NoteRelations = {
    to,
    cc,
    tags: [
      ...composed.hashtags.map((name) => ({ type: "Hashtag" as const, name, href: tagUrl(name) })),
      ...composed.mentions.map((m) => ({
        type: "Mention" as const,
        name: `${m.username}@${m.host}`,
        href: m.id,
      })),
    ],
  };
  return {
    note: {
      id: urls.note(input.slug),
      type: "Note",
      attributedTo: urls.owner.id,
      inReplyTo: parent?.id ?? null,
      content: composed.html,
      summary: status.spoilerText || null,
      // A content warning makes a post sensitive whatever the flag says, as on Mastodon.
      sensitive: (status.sensitive ?? false) || (status.spoilerText ?? "") !== "",
      language: status.language ?? null,
      visibility: status.visibility,
      url: urls.notePage(input.slug),
      attachments: [...(input.attachments ?? [])],
      published: input.published,
      updated: input.updated ?? null,
    },
    relations,
  };
}

/** The note as the activity that carries it publishes it (without counts, which go stale). */
export const noteObject = ({ note, relations }: NoteInput) => toNote(note, relations);
