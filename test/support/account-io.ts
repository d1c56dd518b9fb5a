/**
 * What the export and import tests share: actors stored as the instance stores them, an
 * import posted with the queue recorded instead of sent, and the queue drained by hand (every
 * message the consumer enqueues run in turn, its delay noted), so that nothing runs behind a
 * test's back.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { QueueMessage } from "../../src/federation/queue/messages";
import worker from "../../src/index";
import { actors } from "../../src/storage/schema";
import { db, OWNER_TOKEN } from "../helpers";
import { consume, recordingQueue } from "./delivery";
import { ORIGIN } from "./remote";

/** Stores a remote actor's row, as a fetch of its document would. */
export async function storeActorRow(username: string, domain: string): Promise<string> {
  const id = `https://${domain}/users/${username}`;
  await db()
    .insert(actors)
    .values({
      id,
      type: "Person",
      preferredUsername: username,
      domain,
      inbox: `${id}/inbox`,
      fetchedAt: new Date(),
      createdAt: new Date(),
    })
    .onConflictDoNothing();
  return id;
}

export interface ImportRequest {
  readonly body: BodyInit;
  /** The body's type; a FormData body sets its own. */
  readonly contentType?: string;
  readonly query?: string;
  /** Another token, or null for none. */
  readonly token?: string | null;
}

/** POSTs an import; what it queues is recorded, not sent. */
export async function postImport(request: ImportRequest) {
  const headers = new Headers();
  if (request.token !== null)
    headers.set("Authorization", `Bearer ${request.token ?? OWNER_TOKEN}`);
  if (request.contentType !== undefined) headers.set("Content-Type", request.contentType);
  const req = new Request(`${ORIGIN}/api/outpost/imports${request.query ?? ""}`, {
    method: "POST",
    headers,
    body: request.body,
  });
  const { queue, enqueued } = recordingQueue();
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    req as Parameters<typeof worker.fetch>[0],
    { ...env, DELIVERY_QUEUE: queue },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { res, enqueued };
}

/** A following list posted as Mastodon's import page posts it. */
export function importForm(csv: string, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  form.set("type", fields.type ?? "following");
  form.set("mode", fields.mode ?? "merge");
  form.set("data", new File([csv], "following_accounts.csv", { type: "text/csv" }));
  return form;
}

/**
 * Runs queued messages, and what each queues, until none is left: the import's batches,
 * the follows' fan-outs and their deliveries. Returns the delays the import's messages
 * were queued with, in order.
 */
export async function drain(messages: readonly MessageSendRequest[]): Promise<number[]> {
  const queue = [...messages];
  const importDelays: number[] = [];
  for (let run = 0; queue.length > 0; run++) {
    if (run > 500) throw new Error("the queue does not drain");
    const next = queue.shift() as MessageSendRequest;
    const body = next.body as QueueMessage;
    if (body.type === "importFollows") importDelays.push(next.delaySeconds ?? 0);
    const result = await consume("outpost-delivery", body);
    queue.push(...result.enqueued);
  }
  return importDelays;
}

/** The owner's import, as `GET /api/outpost/imports/:id` answers it. */
export interface ImportView {
  readonly id: string;
  readonly state: string;
  readonly total: number;
  readonly duplicates: number;
  readonly processed: number;
  readonly followed: number;
  readonly skipped: number;
  readonly failed: number;
  readonly failures: { line: number; account: string; reason: string }[];
  readonly error: string | null;
}
