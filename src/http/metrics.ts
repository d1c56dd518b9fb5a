/** `GET /metrics`: Prometheus text, for the owner (bearer token). */
import { Hono } from "hono";
import type { AppEnv } from "../env";
import { renderPrometheus, type Sample } from "../metrics/prometheus";
import { seriesKey } from "../metrics/recorder";
import { readGauges } from "../storage/gauges";
import { requireOwner } from "./middleware/owner-auth";

export const metrics = new Hono<AppEnv>();
// The instance's operation, not the owner's content: an admin scope (the OWNER_TOKEN has all).
metrics.use("*", requireOwner({ read: "admin:read", write: "admin:write" }));

metrics.get("/", async (c) => {
  const { db, config } = c.var.ctx;
  const [snapshot, gauges] = await Promise.all([
    c.env.METRICS.get(c.env.METRICS.idFromName("global")).snapshot(),
    readGauges(db, config.urls.owner.id),
  ]);
  const samples: Sample[] = [
    ...snapshot.counters,
    { key: "activitypub_queue_size", value: gauges.backlog },
    ...Object.entries(gauges.hosts).map(([state, value]) => ({
      key: seriesKey("activitypub_hosts", { state }),
      value,
    })),
  ];
  return c.body(renderPrometheus(samples), 200, {
    "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
  });
});
