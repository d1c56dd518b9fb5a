/** The Worker's entry points, and the Durable Object classes it hosts; nothing else. */
import { createApp } from "./app";
import { handleQueueBatch } from "./federation/consumer";
import { handleScheduled } from "./federation/sweeper";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: handleQueueBatch,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Env>;

export { HostState } from "./hosts/host-state";
