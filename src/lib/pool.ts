/**
 * Runs `task` over `items` with at most `limit` running at once, and returns the results in
 * the items' order. Workers allow six simultaneous outbound connections per invocation: more
 * would only queue inside the runtime.
 */
export function pool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  return Promise.all(items.map(limited(limit, task)));
}

/**
 * `task`, wrapped so that at most `limit` calls run at once; the others wait their turn, in
 * the order they were made (a call that ends hands its place to the next).
 */
export function limited<T, R>(limit: number, task: (item: T) => Promise<R>) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (item: T): Promise<R> => {
    if (active < limit) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task(item);
    } finally {
      const next = waiting.shift();
      if (next === undefined) active--;
      else next();
    }
  };
}
