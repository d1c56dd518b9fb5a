import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";

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
});
