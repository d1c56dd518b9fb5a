/**
 * Counting what an invocation does (deliveries, D1 rows, queue messages, Durable Object
 * calls) in memory, then handing it to the Metrics object once, at the end of the request or
 * the queue batch: isolates share no memory, and one call per invocation is cheap. What an
 * invocation leaves running after its answer (`inBackground`) is counted too: the hand-over
 * waits for it.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** Buckets of the delivery duration histogram, in seconds. */
export const DURATION_BUCKETS = [0.1, 0.5, 1, 2, 5, 10] as const;

export type Labels = Readonly<Record<string, string>>;

/** `name{a="1",b="2"}`: the key of one series, labels sorted. */
export function seriesKey(name: string, labels: Labels = {}): string {
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return name;
  const quote = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
  return `${name}{${entries.map(([k, v]) => `${k}="${quote(v)}"`).join(",")}}`;
}

export class Recorder {
  readonly counts = new Map<string, number>();
  readonly #background = new Set<Promise<unknown>>();

  /** Work the invocation goes on with after its answer, whose counts are wanted too. */
  track(work: Promise<unknown>): void {
    this.#background.add(work);
  }

  /** Once every tracked work has ended (work tracked meanwhile included). */
  async idle(): Promise<void> {
    while (this.#background.size > 0) {
      const now = [...this.#background];
      await Promise.allSettled(now);
      for (const work of now) this.#background.delete(work);
    }
  }

  inc(name: string, labels?: Labels, by = 1): void {
    if (by === 0) return;
    const key = seriesKey(name, labels);
    this.counts.set(key, (this.counts.get(key) ?? 0) + by);
  }

  /** A histogram observation: cumulative buckets, sum and count, as Prometheus keeps them. */
  observe(name: string, seconds: number, labels: Labels = {}): void {
    for (const le of DURATION_BUCKETS) {
      // Every bucket exists, the empty ones at zero, as parsers expect.
      const key = seriesKey(`${name}_bucket`, { ...labels, le: String(le) });
      this.counts.set(key, (this.counts.get(key) ?? 0) + (seconds <= le ? 1 : 0));
    }
    this.inc(`${name}_bucket`, { ...labels, le: "+Inf" });
    this.inc(`${name}_sum`, labels, seconds);
    this.inc(`${name}_count`, labels);
  }

  get empty(): boolean {
    return this.counts.size === 0;
  }

  entries(): [string, number][] {
    return [...this.counts];
  }

  /** What was counted so far, which is then forgotten (handed over). */
  take(): [string, number][] {
    const taken = this.entries();
    this.counts.clear();
    return taken;
  }
}

const storage = new AsyncLocalStorage<Recorder>();

/** Runs `work` with a recorder of its own, and returns both. */
export async function recording<T>(
  work: () => Promise<T>,
): Promise<{ result: T; recorder: Recorder }> {
  const recorder = new Recorder();
  const result = await storage.run(recorder, work);
  return { result, recorder };
}

/** The current invocation's recorder; outside one (tests, scripts), a throwaway. */
export function recorder(): Recorder {
  return storage.getStore() ?? new Recorder();
}

/**
 * Runs an invocation (a request, a queue batch, a cron run, a Durable Object call) with its
 * own metrics, handed to the Metrics object once it is done, without holding up the answer;
 * what its background work (`inBackground`) counts after that goes once that work has ended.
 */
export async function counted<T>(
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  work: () => Promise<T>,
): Promise<T> {
  const { result, recorder } = await recording(work);
  ctx.waitUntil(handOver(env, recorder));
  return result;
}

async function handOver(env: Env, counts: Recorder): Promise<void> {
  await flush(env, counts.take());
  await counts.idle();
  await flush(env, counts.take());
}

/**
 * The invocation's `waitUntil`, for work that goes on after the answer and is counted with
 * the invocation (its metrics are handed over once it ends).
 */
export function inBackground(
  ctx: Pick<ExecutionContext, "waitUntil">,
): (work: Promise<unknown>) => void {
  return (work) => {
    recorder().track(work);
    ctx.waitUntil(work);
  };
}

/** Sends what the invocation counted to the Metrics object; never fails the invocation. */
async function flush(env: Env, entries: [string, number][]): Promise<void> {
  if (entries.length === 0) return;
  try {
    await env.METRICS.get(env.METRICS.idFromName("global")).add(entries);
  } catch (error) {
    console.warn(`metrics: not flushed: ${error instanceof Error ? error.message : "error"}`);
  }
}
