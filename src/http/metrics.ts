/** `GET /metrics`: Prometheus text, for the owner (bearer token). */
import { and, eq, inArray, sql } from "drizzle-orm";
import { Hono } from "hono";
import type { AppEnv } from "../env";
import { renderPrometheus, type Sample } from "../metrics/prometheus";
import { seriesKey } from "../metrics/recorder";
import { createDb } from "../storage/db";
import { deliveryBatches, deliveryFailures } from "../storage/schema";
import { requireOwner } from "./middleware/owner-auth";

export const metrics = new Hono<AppEnv>();
metrics.use("*", requireOwner());

metrics.get("/", async (c) => {
  const db = createDb(c.env.DB);
  const [snapshot, [pending, waiting]] = await Promise.all([
    c.env.METRICS.get(c.env.METRICS.idFromName("global")).snapshot(),
    db.batch([
      db
        .select({ n: sql<number>`coalesce(sum(json_array_length(${deliveryBatches.hosts})), 0)` })
        .from(deliveryBatches)
        .where(eq(deliveryBatches.state, "pending")),
      db
        .select({ n: sql<number>`count(*)` })
        .from(deliveryFailures)
        .where(and(inArray(deliveryFailures.state, ["retrying", "parked"]))),
    ]),
  ]);
  const samples: Sample[] = [
    ...(snapshot.counters as [string, number][]).map(([key, value]) => ({ key, value })),
    { key: "activitypub_queue_size", value: (pending[0]?.n ?? 0) + (waiting[0]?.n ?? 0) },
    ...Object.entries(snapshot.hosts).map(([state, value]) => ({
      key: seriesKey("activitypub_hosts", { state }),
      value,
    })),
  ];
  return c.body(renderPrometheus(samples), 200, {
    "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
  });
});
