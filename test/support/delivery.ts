/**
 * What the delivery tests share: stored activities, the consumer run as the queue would
 * run it (with what it enqueues recorded, not sent), and the host objects.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { vi } from "vitest";
import { BREAKER_THRESHOLD } from "../../src/federation/delivery/policy";
import type { DeliverMessage, QueueMessage } from "../../src/federation/queue/messages";
import type { HostState } from "../../src/hosts/host-state";
import worker from "../../src/index";
import { outbox } from "../../src/storage/schema";
import { db } from "../helpers";
import { OWNER, PUBLIC, received } from "./remote";

let sequence = 0;
/** Stores a public activity of the owner, as publishing would, and returns its id. */
export async function storedActivity(extra: Record<string, unknown> = {}): Promise<string> {
  const id = `${OWNER}/statuses/${9_000_000 + ++sequence}/activity`;
  await db()
    .insert(outbox)
    .values({
      id,
      actor: OWNER,
      type: "Create",
      objectId: id.replace("/activity", ""),
      visibility: "public",
      payload: {
        id,
        type: "Create",
        actor: OWNER,
        to: [PUBLIC],
        cc: [`${OWNER}/followers`],
        object: { id: id.replace("/activity", ""), type: "Note", content: `<p>${sequence}</p>` },
        ...extra,
      },
      published: new Date(),
      fannedOutAt: new Date(),
    });
  return id;
}

/** The outbox position of a stored activity. */
export async function seqOf(id: string): Promise<number> {
  const [row] = await db().select({ seq: outbox.seq }).from(outbox).where(eq(outbox.id, id));
  if (row === undefined) throw new Error(`no activity ${id}`);
  return row.seq;
}

/** A queue that records what is sent to it, instead of sending it. */
export function recordingQueue(): { queue: Queue; enqueued: MessageSendRequest[] } {
  const enqueued: MessageSendRequest[] = [];
  const queue = {
    send: async (body: unknown, options?: QueueSendOptions) =>
      void enqueued.push({ body, ...options }),
    sendBatch: async (messages: Iterable<MessageSendRequest>) => void enqueued.push(...messages),
  } as unknown as Queue;
  return { queue, enqueued };
}

/** The vars of a development instance on loopback whose backoff starts at `ms`. */
export const devVars = (ms: number) => ({
  PUBLIC_ORIGIN: "http://localhost:8787",
  DEV_FEDERATION: "true",
  DEV_RETRY_BASE_MS: String(ms),
});

/**
 * Runs the consumer on messages, as the queue would. What it enqueues (retries) is recorded
 * instead of sent, so that a test sees it, and it does not run behind the test's back.
 */
export const consume = (queue: string, ...bodies: QueueMessage[]) => consumeWith({}, queue, bodies);

/** The same, as an instance configured with other vars. */
export async function consumeWith(
  vars: Partial<Env>,
  queue: string,
  bodies: readonly QueueMessage[],
) {
  const batch = createMessageBatch<unknown>(
    queue,
    bodies.map((body, i) => ({
      id: `m${++sequence}-${i}`,
      timestamp: new Date(),
      attempts: 1,
      body,
    })),
  );
  // The plugin's result leaves out the delay of each retry: it is read from the calls.
  const retries = batch.messages.map((message) => vi.spyOn(message, "retry"));
  const ctx = createExecutionContext();
  const { queue: recorder, enqueued } = recordingQueue();
  await worker.queue(batch, { ...env, ...vars, DELIVERY_QUEUE: recorder }, ctx);
  const retryDelays = retries.flatMap((spy) => spy.mock.calls.map(([o]) => o?.delaySeconds));
  return { ...(await getQueueResult(batch, ctx)), enqueued, retryDelays };
}

/**
 * Runs the consumer on one message and looks (`atAck`) the moment its handler is done, when
 * the queue would acknowledge it; then waits for what it left running.
 */
export async function consumeLooking<T>(body: QueueMessage, atAck: () => Promise<T>) {
  const batch = createMessageBatch<unknown>("outpost-delivery", [
    { id: `straggler-${Math.random()}`, timestamp: new Date(), attempts: 1, body },
  ]);
  const ctx = createExecutionContext();
  const { queue, enqueued } = recordingQueue();
  await worker.queue(batch, { ...env, DELIVERY_QUEUE: queue }, ctx);
  const seen = await atAck();
  const result = await getQueueResult(batch, ctx);
  await waitOnExecutionContext(ctx);
  return { seen, result, enqueued };
}

export const hostState = (host: string) => env.HOST_STATE.get(env.HOST_STATE.idFromName(host));

/** Ends a host's backoff window now, as if its time had passed. */
export const endWindow = (stub: ReturnType<typeof hostState>) =>
  runInDurableObject(stub, (_instance: HostState, state) => {
    state.storage.sql.exec("UPDATE state SET open_until = ? WHERE k = 1", Date.now() - 1);
  });

/** Runs a host's object now, as if its wait were over (and not again behind the test's back). */
export const runNow = (stub: ReturnType<typeof hostState>) =>
  runInDurableObject(stub, async (instance: HostState, state) => {
    state.storage.sql.exec("UPDATE state SET open_until = ? WHERE k = 1", Date.now() - 1);
    await state.storage.deleteAlarm();
    await instance.alarm();
  });

/** Holds a host's object off for an hour, so that it sends nothing while a test looks. */
export const pause = (stub: ReturnType<typeof hostState>) =>
  runInDurableObject(stub, async (_instance: HostState, state) => {
    state.storage.sql.exec("UPDATE state SET open_until = ? WHERE k = 1", Date.now() + 3600_000);
    await state.storage.deleteAlarm();
  });

/** Puts a host's object in the open-circuit state, for an hour: what it is asked now parks. */
export const openCircuit = (stub: ReturnType<typeof hostState>, host: string) =>
  runInDurableObject(stub, (_instance: HostState, state) => {
    state.storage.sql.exec(
      "UPDATE state SET host = ?, failures = ?, steady = 0, open_until = ? WHERE k = 1",
      host,
      BREAKER_THRESHOLD,
      Date.now() + 3600_000,
    );
  });
export const deliver = (
  activityId: string,
  inboxes: string[],
  extra: Partial<DeliverMessage> = {},
): DeliverMessage => ({
  v: 1,
  type: "deliver",
  activityId,
  inboxes,
  ...extra,
});
export const posts = async (inbox: string) =>
  (await received(new URL(inbox).host, "POST")).filter((r) => r.url === inbox);
