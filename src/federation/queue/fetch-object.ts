/**
 * A `fetchObject` message: a remote note fetched and stored, either the note a `Create` gave
 * only by URL (the received activity is marked processed once it is settled) or the note a
 * stored reply answers (its context).
 */
import { hostOf } from "../../activitypub/parse";
import { parseNote, visibilityOf } from "../../activitypub/remote-note";
import { fetchActor } from "../../cache/actors";
import type { AppContext } from "../../context";
import { fetchRemote } from "../../outbound/fetch-document";
import { findActor } from "../../storage/actors";
import { runBatch } from "../../storage/db";
import { markProcessed, markProcessedStatements } from "../../storage/inbox";
import { insertNoteStatements } from "../../storage/notes";
import { mentionStatements } from "../../storage/notifications";
import { concernsOwner, remoteNote } from "../remote-notes";
import type { FetchObjectMessage } from "./messages";

/** Whether the message is done with (acknowledged), or worth another try later. */
export type Fetched = "done" | "retry";

export async function fetchObject(ctx: AppContext, message: FetchObjectMessage): Promise<Fetched> {
  const settled = async () => {
    await markProcessed(ctx.db, { id: message.inboxId, at: ctx.now() });
    return "done" as const;
  };
  const fetched = await fetchRemote(ctx, message.id);
  if (!fetched.ok) {
    const transient =
      fetched.reason === "timeout" || fetched.reason === "network" || (fetched.status ?? 0) >= 500;
    return transient ? "retry" : settled();
  }
  const note = parseNote(fetched.document, { owner: ctx.config.urls.owner.id });
  // A Create given by URL is only the sender's to make: its author, on its host.
  const bySender =
    message.purpose !== "create" ||
    message.sender === undefined ||
    note?.attributedTo === message.sender;
  if (note === undefined || hostOf(note.attributedTo) !== hostOf(note.id) || !bySender) {
    return settled();
  }
  if (message.purpose === "create" && !(await concernsOwner(ctx, note))) return settled();
  let author = await findActor(ctx.db, note.attributedTo);
  if (author === undefined) {
    const fetchedAuthor = await fetchActor(ctx, note.attributedTo);
    author = fetchedAuthor.ok ? fetchedAuthor.actor : undefined;
  }
  const receivedAt = ctx.now();
  const stored = await remoteNote(note, {
    visibility: visibilityOf(note, author?.followers),
    receivedAt,
  });
  const owner = ctx.config.urls.owner.id;
  await runBatch(ctx.db, [
    ...insertNoteStatements(ctx.db, stored),
    // A note created by URL only notifies like one sent whole; a thread's context does not.
    ...(message.purpose === "create" ? mentionStatements(ctx.db, { owner, note, receivedAt }) : []),
    ...markProcessedStatements(ctx.db, { id: message.inboxId, at: receivedAt }),
  ]);
  return "done";
}
