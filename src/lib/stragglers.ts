/**
 * Waiting on a group of tasks without letting the slowest hold up the rest. `gather` runs
 * them (at most `limit` at once) and returns once every one is done, or once those still
 * running have had `factor` times as long as the slowest that finished (at least `floorMs`,
 * at most `capMs`; `capMs` while none has finished). What was still running then is handed
 * back as promises, for the caller to await elsewhere (the invocation's `waitUntil`). Times
 * count from the call: with more items than `limit`, those that wait their turn wait within
 * that time, and may be let go of before they start.
 */
import { limited } from "./pool";

export interface LetGo {
  /** The least a straggler is given, in ms. */
  readonly floorMs: number;
  /** How many times the slowest finished task's time a straggler is given. */
  readonly factor: number;
  /** The most any task is waited for, in ms (and the wait while none has finished). */
  readonly capMs: number;
}

export interface Gathered<R> {
  /** The results of the tasks done in time, by index. */
  readonly done: ReadonlyMap<number, R>;
  /** The tasks still running, by index. */
  readonly late: ReadonlyMap<number, Promise<R>>;
}

/**
 * Runs `task` over `items` and waits as `letGo` says. `onLetGo` is called, synchronously,
 * at the moment it stops waiting with tasks still running. A task that fails before then
 * fails the whole (as `Promise.all` would); one that fails later rejects its own promise.
 */
export async function gather<T, R>(
  items: readonly T[],
  task: (item: T) => Promise<R>,
  options: LetGo & { readonly limit: number; readonly onLetGo?: () => void },
): Promise<Gathered<R>> {
  const started = Date.now();
  const done = new Map<number, R>();
  let failure: { error: unknown } | undefined;
  let slowest = 0;
  let wake: () => void = () => undefined;
  const run = limited(options.limit, task);
  const running = items.map((item, i) =>
    run(item).then(
      (result) => {
        done.set(i, result);
        slowest = Math.max(slowest, Date.now() - started);
        wake();
        return result;
      },
      (error: unknown) => {
        failure ??= { error };
        wake();
        throw error;
      },
    ),
  );
  // A failure is thrown from here, or by the promise handed back: never left unhandled.
  for (const promise of running) promise.catch(() => undefined);
  for (;;) {
    if (failure !== undefined) throw failure.error;
    if (done.size === items.length) break;
    const allowed =
      done.size === 0
        ? options.capMs
        : Math.min(options.capMs, Math.max(options.floorMs, options.factor * slowest));
    const left = allowed - (Date.now() - started);
    if (left <= 0) break;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  const late = new Map<number, Promise<R>>();
  running.forEach((promise, i) => {
    if (!done.has(i)) late.set(i, promise);
  });
  if (late.size > 0) options.onLetGo?.();
  return { done, late };
}
