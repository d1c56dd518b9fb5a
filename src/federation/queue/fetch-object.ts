/**
 * A `fetchObject` message: a remote note fetched and stored: the note a `Create` gave only by
 * URL (the received activity is marked processed once it is settled), the note a stored reply
 * answers (its context), or the note a followed account boosted (its boost, stored already,
 * shows in the home timeline once the note is here); or a remote account refreshed
 * (`fetch-account.ts`).
 * Nothing is asked of a blocked domain, and nothing a blocked account wrote is stored.
 */
import { hostOf } from "../../activitypub/parse";
import { parseNote, visibilityOf } from "../../activitypub/remote-note";
import { fetchActor } from "../../cache/actors";
import { rememberFetch } from "../../cache/context-fetches";
import { purgePublic, repliesChanged } from "../../cache/public-documents";
import type { AppContext } from "../../context";
import { fetchRemote } from "../../outbound/fetch-document";
import { findActor } from "../../storage/actors";
import { runBatch } from "../../storage/db";
import { markProcessed, markProcessedStatements } from "../../storage/inbox";
import { insertNoteStatements } from "../../storage/notes";
import { mentionStatements } from "../../storage/notifications";
import { recountReactions } from "../../storage/reactions";
import { isKeptAway } from "../../storage/safety";
import { streamNow } from "../../streaming/stream";
import { noteStreams } from "../inbox/notes";
import { concernsOwner, remoteNote } from "../remote-notes";
import { fetchAbove, storedAlready } from "../threads";
import { refreshAccount } from "./fetch-account";
import type { FetchObjectMessage } from "./messages";

/** Whether the message is done with (acknowledged), or worth another try later. */
export type Fetched = "done" | "retry";

export async function fetchObject(ctx: AppContext, message: FetchObjectMessage): Promise<Fetched> {
  if (message.purpose === "account") return refreshAccount(ctx, message.id);
  // A thread's note stored meanwhile (looked at twice): only the chain above it goes on. A
  // boosted note stored meanwhile (boosted twice) is done with.
  const fetchedOnce = message.purpose === "context" || message.purpose === "boost";
  if (fetchedOnce && (await storedAlready(ctx, message))) return "done";
  // Not to be had: the activity that named it is settled, a thread's note not asked again.
  const settled = async () => {
    if (message.purpose === "context") await rememberFetch(ctx.cache, message.id, "failed");
    await markProcessed(ctx.db, { id: message.inboxId, at: ctx.now() });
    return "done" as const;
  };
  // A blocked domain gets no request from us.
  const host = URL.parse(message.id)?.host;
  if (host === undefined || (await isKeptAway(ctx.db, { domain: host }))) return settled();
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
  // Nothing a blocked account wrote is stored, nor is its actor fetched.
  const author = { actor: note.attributedTo, domain: hostOf(note.attributedTo) };
  if (await isKeptAway(ctx.db, author)) return settled();
  if (message.purpose === "create" && !(await concernsOwner(ctx, note))) return settled();
  let actor = await findActor(ctx.db, note.attributedTo);
  if (actor === undefined) {
    const fetchedActor = await fetchActor(ctx, note.attributedTo);
    actor = fetchedActor.ok ? fetchedActor.actor : undefined;
  }
  const receivedAt = ctx.now();
  const stored = await remoteNote(note, {
    visibility: visibilityOf(note, actor?.followers),
    receivedAt,
  });
  const owner = ctx.config.urls.owner.id;
  // A note created by URL only notifies like one sent whole; a thread's context does not.
  const mention =
    message.purpose === "create" ? mentionStatements(ctx.db, { owner, note, receivedAt }) : [];
  await runBatch(ctx.db, [
    ...insertNoteStatements(ctx.db, stored),
    ...mention,
    // A boosted note counts the boosts that waited for it.
    ...(message.purpose === "boost" ? [recountReactions(ctx.db, note.id)] : []),
    ...markProcessedStatements(ctx.db, { id: message.inboxId, at: receivedAt }),
  ]);
  // It streams like a note sent whole; a boosted one, as the boosts that waited for it. A
  // thread's context is old news: Mastodon puts no fetched context in a feed either.
  if (message.purpose === "create") {
    await streamNow(ctx, noteStreams({ note, mentioned: mention.length > 0, at: receivedAt }));
  } else if (message.purpose === "boost") {
    await streamNow(ctx, [{ kind: "boosted", note: note.id }]);
  }
  await purgePublic(ctx.config.urls, repliesChanged(ctx.config.urls, note));
  if (message.purpose === "context") await fetchAbove(ctx, { note, above: message.above ?? 0 });
  return "done";
}
