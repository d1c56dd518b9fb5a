import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEAD_LETTER_RETRIES, MAX_ATTEMPTS } from "../src/federation/delivery/policy";
import { DEAD_LETTER_QUEUE } from "../src/federation/queue/consumer";
import { parseQueueMessage } from "../src/federation/queue/messages";
import worker from "../src/index";

describe("wrangler.toml's queues", () => {
  it("retry as often as the delivery policy says, into the dead-letter queue the consumer knows", () => {
    const byName = new Map(env.TEST_QUEUE_CONSUMERS.map((c) => [c.queue, c]));
    expect(byName.get("outpost-delivery")).toEqual({
      queue: "outpost-delivery",
      maxRetries: MAX_ATTEMPTS,
      deadLetterQueue: DEAD_LETTER_QUEUE,
    });
    expect(byName.get(DEAD_LETTER_QUEUE)?.maxRetries).toBe(DEAD_LETTER_RETRIES);
  });
});

describe("the queue consumer", () => {
  afterEach(() => vi.restoreAllMocks());

  it("acknowledges malformed or unknown messages with a record, never retrying them", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const batch = createMessageBatch<unknown>("outpost-delivery", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: "not an object" },
      { id: "m2", timestamp: new Date(), attempts: 1, body: { v: 99, type: "deliver" } },
      {
        id: "m3",
        timestamp: new Date(),
        attempts: 1,
        body: { v: 1, type: "nonsense", secret: "s3cr3t" },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["m1", "m2", "m3"]);
    expect(result.retryMessages).toEqual([]);
    expect(result.retryBatch.retry).toBe(false);
    const lines = warn.mock.calls.map((args) => args.join(" "));
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain("m3");
    expect(lines[2]).toContain("nonsense");
    // The record names the message, never its body.
    expect(lines.join("\n")).not.toContain("s3cr3t");
  });

  it("reads a deliver message of the previous release, whose retries carried `attempt` and `probe`", () => {
    const old = {
      v: 1,
      type: "deliver",
      activityId: "https://outpost.test/users/owner/statuses/1/activity",
      inboxes: ["https://old.queue.test/inbox"],
      attempt: 3,
      probe: true,
    };
    const parsed = parseQueueMessage(old);
    expect(parsed).toEqual({
      ok: true,
      message: { v: 1, type: "deliver", activityId: old.activityId, inboxes: old.inboxes },
    });
  });
});
