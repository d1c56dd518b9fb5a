/** Waiting on a group without letting the slowest hold up the rest; a cap on how many run. */
import { describe, expect, it } from "vitest";
import { limited } from "./pool";
import { gather } from "./stragglers";

const resolveIn = <T>(ms: number, value: T) =>
  new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
const WAIT = { floorMs: 100, factor: 3, capMs: 2_000, limit: 6 };

describe("gather", () => {
  it("waits for every task when none straggles", async () => {
    const { done, late } = await gather([5, 10, 20], (ms) => resolveIn(ms, ms * 2), WAIT);
    expect([...done]).toEqual([
      [0, 10],
      [1, 20],
      [2, 40],
    ]);
    expect(late.size).toBe(0);
  });

  it("lets go of a straggler once it has had the floor, and hands back its promise", async () => {
    let letGo = 0;
    const { done, late } = await gather([10, 1_000], (ms) => resolveIn(ms, `done in ${ms}`), {
      ...WAIT,
      onLetGo: () => letGo++,
    });
    expect([...done]).toEqual([[0, "done in 10"]]);
    expect([...late.keys()]).toEqual([1]);
    expect(letGo).toBe(1);
    expect(await late.get(1)).toBe("done in 1000");
  });

  it("gives a straggler a few times as long as the slowest that ended, up to the cap", async () => {
    // The slowest ended at ~150 ms: the 300 ms task is waited for, the 5 s one is not.
    const { done, late } = await gather([150, 300, 5_000], (ms) => resolveIn(ms, ms), WAIT);
    expect([...done.keys()]).toEqual([0, 1]);
    expect([...late.keys()]).toEqual([2]);
    // Nothing ends: the cap, then all are late.
    const none = await gather([5_000], (ms) => resolveIn(ms, ms), { ...WAIT, capMs: 200 });
    expect(none.done.size).toBe(0);
    expect([...none.late.keys()]).toEqual([0]);
  });

  it("fails as a whole when a task fails before it lets go; a late failure is the straggler's", async () => {
    await expect(
      gather(
        [10, 20],
        (ms) => (ms === 20 ? Promise.reject(new Error("no")) : resolveIn(ms, ms)),
        WAIT,
      ),
    ).rejects.toThrow("no");
    const { late } = await gather(
      [10, 600],
      (ms) =>
        ms === 600
          ? resolveIn(ms, 0).then(() => Promise.reject(new Error("late")))
          : resolveIn(ms, ms),
      WAIT,
    );
    await expect(late.get(1)).rejects.toThrow("late");
  });
});

describe("limited", () => {
  it("runs at most `limit` at once, in the order called", async () => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const run = limited(2, async (i: number) => {
      started.push(i);
      most = Math.max(most, ++running);
      await resolveIn(10, 0);
      running--;
      return i;
    });
    expect(await Promise.all([1, 2, 3, 4, 5].map(run))).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    expect(started).toEqual([1, 2, 3, 4, 5]);
  });
});
