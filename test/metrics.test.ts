/** `/metrics`: Prometheus text that a standard parser reads, and values that move. */
import parsePrometheus from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { renderPrometheus } from "../src/metrics/prometheus";
import { Recorder } from "../src/metrics/recorder";
import { request } from "./helpers";
import { eventually, OWNER, RemoteActor } from "./support/remote";

type Family = ReturnType<typeof parsePrometheus>[number];

async function scrape(): Promise<Map<string, Family>> {
  const res = await request("/metrics", { headers: { Authorization: "Bearer test-owner-token" } });
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const families = parsePrometheus(await res.text());
  return new Map(families.map((f) => [f.name, f]));
}

const value = (families: Map<string, Family>, name: string, labels: Record<string, string> = {}) =>
  Number(
    families
      .get(name)
      ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ??
      0,
  );

describe("/metrics", () => {
  it("needs the owner's token", async () => {
    expect((await request("/metrics")).status).toBe(401);
  });

  it("parses, and moves when activities arrive and deliveries are made", {
    timeout: 30_000,
  }, async () => {
    const before = await scrape();
    expect(before.get("activitypub_hosts")?.type).toBe("GAUGE");
    expect(before.get("activitypub_queue_size")?.type).toBe("GAUGE");
    const likes = value(before, "activitypub_inbox_activities_total", {
      type: "Follow",
      result: "accepted",
    });

    // A follow arrives (counted at the inbox), and its Accept goes out (a delivery).
    const fan = await RemoteActor.create({ host: "metrics.test", username: "fan" });
    expect((await fan.send(fan.activity("Follow", OWNER))).status).toBe(202);
    const after = await eventually(async () => {
      const families = await scrape();

      return value(families, "activitypub_deliveries_total", { result: "delivered" }) > 0
        ? families
        : undefined;
    }, 15_000);

    expect(
      value(after, "activitypub_inbox_activities_total", { type: "Follow", result: "accepted" }),
    ).toBe(likes + 1);
    expect(after.get("activitypub_delivery_duration_seconds")?.type).toBe("HISTOGRAM");
    const histogram = after.get("activitypub_delivery_duration_seconds")?.metrics[0];
    expect(Number(histogram?.count)).toBeGreaterThanOrEqual(1);
    expect(Object.keys(histogram?.buckets ?? {}).sort()).toEqual(
      ["0.1", "0.5", "1", "2", "5", "10", "+Inf"].sort(),
    );
    expect(value(after, "outpost_queue_messages_sent_total", { type: "fanout" })).toBeGreaterThan(
      0,
    );
    // A healthy host costs no object call: not asked before a delivery, nor told after.
    expect(value(after, "outpost_do_calls_total", { method: "hold" })).toBe(
      value(before, "outpost_do_calls_total", { method: "hold" }),
    );
    expect(value(after, "outpost_d1_rows_written_total")).toBeGreaterThan(
      value(before, "outpost_d1_rows_written_total"),
    );
    expect(value(after, "outpost_d1_rows_read_total")).toBeGreaterThan(0);
    // A batch is one round trip, however many queries it holds.
    const trips = value(after, "outpost_d1_round_trips_total");
    expect(trips).toBeGreaterThan(value(before, "outpost_d1_round_trips_total"));
    expect(trips).toBeLessThan(value(after, "outpost_d1_queries_total"));
    expect(value(after, "activitypub_hosts", { state: "healthy" })).toBeGreaterThanOrEqual(1);
  });

  it("counts actor cache lookups by result, and the KV reads and writes they cost", async () => {
    const cache = (families: Map<string, Family>, result: string) =>
      value(families, "activitypub_actor_cache_total", { result });
    const before = await scrape();
    // A new sender: its key is not cached (a miss, one write); its next activity is a hit.
    const newcomer = await RemoteActor.create({ host: "cache.metrics.test", username: "new" });
    expect((await newcomer.send(newcomer.activity("Like", `${OWNER}/statuses/1`))).status).toBe(
      202,
    );
    const afterMiss = await scrape();
    expect(cache(afterMiss, "miss")).toBe(cache(before, "miss") + 1);
    expect(value(afterMiss, "activitypub_kv_writes_total")).toBe(
      value(before, "activitypub_kv_writes_total") + 1,
    );
    expect(value(afterMiss, "activitypub_kv_reads_total")).toBe(
      value(before, "activitypub_kv_reads_total") + 1,
    );
    expect((await newcomer.send(newcomer.activity("Like", `${OWNER}/statuses/2`))).status).toBe(
      202,
    );
    const afterHit = await scrape();
    expect(cache(afterHit, "hit")).toBe(cache(afterMiss, "hit") + 1);
    expect(cache(afterHit, "miss")).toBe(cache(afterMiss, "miss"));
    expect(value(afterHit, "activitypub_kv_writes_total")).toBe(
      value(afterMiss, "activitypub_kv_writes_total"),
    );
    // The hit is served from what the isolate holds: no KV read.
    expect(value(afterHit, "activitypub_kv_reads_total")).toBe(
      value(afterMiss, "activitypub_kv_reads_total"),
    );
  });
});

describe("the renderer", () => {
  it("writes counters, gauges and histograms a parser reads back", () => {
    const r = new Recorder();
    r.inc("activitypub_deliveries_total", { result: "delivered" }, 3);
    r.inc("activitypub_delivery_errors_total", { error_type: 'odd"quote' });
    r.observe("activitypub_delivery_duration_seconds", 0.3);
    r.observe("activitypub_delivery_duration_seconds", 7);
    const text = renderPrometheus([
      ...r.entries().map(([key, v]) => ({ key, value: v })),
      { key: "activitypub_queue_size", value: 4 },
    ]);
    const families = new Map(parsePrometheus(text).map((f) => [f.name, f]));
    expect(value(families, "activitypub_deliveries_total", { result: "delivered" })).toBe(3);
    expect(families.get("activitypub_delivery_errors_total")?.metrics[0]?.labels).toEqual({
      error_type: 'odd"quote',
    });
    expect(value(families, "activitypub_queue_size")).toBe(4);
    const h = families.get("activitypub_delivery_duration_seconds")?.metrics[0];
    expect(h?.buckets).toEqual({
      "0.1": "0",
      "0.5": "1",
      "1": "1",
      "2": "1",
      "5": "1",
      "10": "2",
      "+Inf": "2",
    });
    expect(h?.count).toBe("2");
  });
});
