/** `GET /metrics`: Prometheus text, for the owner (bearer token). */
import { and, eq, inArray, sql } from "drizzle-orm";
import { Hono } from "hono";
import type { AppEnv } from "../env";
import { renderPrometheus, type Sample } from "../metrics/prometheus";
import { seriesKey } from "../metrics/recorder";
import { createDb } from "../storage/db";
import { actors, deliveryBatches, deliveryFailures, follows, hostStates } from "../storage/schema";
import { requireOwner } from "./middleware/owner-auth";

export const metrics = new Hono<AppEnv>();
metrics.use("*", requireOwner());

metrics.get("/", async (c) => {
  const db = createDb(c.env.DB);
  const owner = c.var.config.urls.owner.id;
  const [snapshot, [pending, waiting, listed, followed]] = await Promise.all([
    c.env.METRICS.get(c.env.METRICS.idFromName("global")).snapshot(),
    db.batch([
      db
        .select({ n: sql<number>`coalesce(sum(json_array_length(${deliveryBatches.hosts})), 0)` })
        .from(deliveryBatches)
        .where(eq(deliveryBatches.state, "pending")),
      db
        .select({ n: sql<number>`count(*)` })
        .from(deliveryFailures)
        .where(inArray(deliveryFailures.state, ["retrying", "parked"])),
      db
        .select({ state: hostStates.state, n: sql<number>`count(*)` })
        .from(hostStates)
        .groupBy(hostStates.state),
      // The hosts we deliver to: our followers' servers.
      db
        .select({ n: sql<number>`count(distinct ${actors.domain})` })
        .from(follows)
        .innerJoin(actors, eq(actors.id, follows.follower))
        .where(and(eq(follows.actor, owner), eq(follows.state, "accepted"))),
    ]),
  ]);
  const count = (state: string) => listed.find((l) => l.state === state)?.n ?? 0;
  const hosts = {
    healthy: Math.max(0, (followed[0]?.n ?? 0) - count("backingOff") - count("unavailable")),
    backingOff: count("backingOff"),
    unavailable: count("unavailable"),
  };
  const samples: Sample[] = [
    ...(snapshot.counters as [string, number][]).map(([key, value]) => ({ key, value })),
    { key: "activitypub_queue_size", value: (pending[0]?.n ?? 0) + (waiting[0]?.n ?? 0) },
    ...Object.entries(hosts).map(([state, value]) => ({
      key: seriesKey("activitypub_hosts", { state }),
      value,
    })),
  ];
  return c.body(renderPrometheus(samples), 200, {
    "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
  });
});
