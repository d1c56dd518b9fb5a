/**
 * What a page of the owner's API waits for: D1 round trips. The pages apps poll (home, the
 * notifications, grouped or not) read their rows, the owner's account and whether a filter
 * is in force in one batch, then what the page's rows name in one more: two round trips,
 * counted on the D1 binding itself (every `batch`, every statement run alone).
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../src/index";
import { ORIGIN, OWNER_TOKEN, seedNote } from "./helpers";
import { countingD1 } from "./support/d1-calls";
import { accepted, RemoteActor } from "./support/remote";

/** An owner's GET of the API, and the D1 round trips it made. */
async function roundTrips(path: string): Promise<{ status: number; trips: number }> {
  const { d1, calls } = countingD1();
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${ORIGIN}/api${path}`, {
      headers: { Authorization: `Bearer ${OWNER_TOKEN}` },
    }) as Parameters<typeof worker.fetch>[0],
    { ...env, DB: d1 } as Env,
    ctx,
  );
  const trips = calls();
  const body = (await res.json()) as unknown[] | { notification_groups: unknown[] };
  const items = Array.isArray(body) ? body : body.notification_groups;
  expect(items.length, path).toBeGreaterThan(0);
  await waitOnExecutionContext(ctx);
  return { status: res.status, trips };
}

describe("pages of the owner's API", () => {
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) await seedNote({ content: `<p>note ${i}</p>` });
    const fan = await RemoteActor.create({ host: "trips.test", username: "fan" });
    const note = await seedNote({ content: "<p>liked</p>" });
    await accepted(fan, fan.activity("Like", note.id));
    // The owner's keys are made on the first request; the pages below find them.
    expect((await roundTrips("/v1/timelines/home")).status).toBe(200);
  });

  it.each([
    "/v1/timelines/home?limit=40",
    "/v1/notifications?limit=40",
    "/v2/notifications?limit=40",
  ])("%s reads in two round trips, the owner's account in the first", async (path) => {
    expect(await roundTrips(path)).toEqual({ status: 200, trips: 2 });
  });
});
