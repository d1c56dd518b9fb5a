/** The Worker's entry points, and the Durable Object classes it hosts; nothing else. */
import { createApp } from "./app";
import { handleQueueBatch } from "./federation/consumer";
import { handleScheduled } from "./federation/sweeper";
import { flush, recording } from "./metrics/recorder";

const app = createApp();

/** Runs an invocation with its own metrics, handed to the Metrics object at the end. */
async function counted<T>(env: Env, ctx: ExecutionContext, work: () => Promise<T>): Promise<T> {
  const { result, recorder } = await recording(work);
  ctx.waitUntil(flush(env, recorder));
  return result;
}

export default {
  fetch: (request, env, ctx) => counted(env, ctx, async () => app.fetch(request, env, ctx)),
  queue: (batch, env, ctx) => counted(env, ctx, () => handleQueueBatch(batch, env, ctx)),
  scheduled: (controller, env, ctx) =>
    counted(env, ctx, () => handleScheduled(controller, env, ctx)),
} satisfies ExportedHandler<Env>;

export { HostState } from "./hosts/host-state";
export { Metrics } from "./metrics/metrics-object";
