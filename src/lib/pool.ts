/**
 * Runs `task` over `items` with at most `limit` running at once, and returns the results in
 * the items' order. Workers allow six simultaneous outbound connections per invocation: more
 * would only queue inside the runtime.
 */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i] as T);
      }
    }),
  );
  return results;
}
