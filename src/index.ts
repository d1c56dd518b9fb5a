/** The Worker's entry points, and the Durable Object classes it hosts; nothing else. */
import { createApp } from "./app";
import { handleScheduled } from "./federation/housekeeping";
import { handleQueueBatch } from "./federation/queue/consumer";
import { counted } from "./metrics/recorder";

const app = createApp();

export default {
  fetch: (request, env, ctx) => counted(env, ctx, async () => app.fetch(request, env, ctx)),
  queue: (batch, env, ctx) => counted(env, ctx, () => handleQueueBatch(batch, env, ctx)),
  scheduled: (_controller, env, ctx) => counted(env, ctx, () => handleScheduled(env)),
} satisfies ExportedHandler<Env>;

export { HostState } from "./hosts/host-state";
export { Metrics } from "./metrics/metrics-object";
export { Streaming } from "./streaming/object";
