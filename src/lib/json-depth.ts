/**
 * How deep a parsed JSON value nests. `JSON.parse` copes with any depth, but code that walks
 * a value recursively (`JSON.stringify`, a reader following `object.object...`) overflows
 * the stack on a few thousand levels: whatever comes from the network is measured here
 * first, with an explicit stack, and refused when it nests deeper than anything real does.
 */

/** Whether `value` nests at most `maxDepth` arrays or objects deep (a scalar is depth 0). */
export function nestsWithin(value: unknown, maxDepth: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== "object" || next.value === null) continue;
    const depth = next.depth + 1;
    if (depth > maxDepth) return false;
    const children = Array.isArray(next.value) ? next.value : Object.values(next.value);
    for (const child of children) {
      if (typeof child === "object" && child !== null) pending.push({ value: child, depth });
    }
  }
  return true;
}

/**
 * The deepest nesting accepted in a document from another server. ActivityStreams nests an
 * object in an activity in an activity (an `Undo` of a `Like`, an `Announce` of a `Create`):
 * with tags, attachments and their icons, real documents stay under a dozen levels.
 */
export const MAX_JSON_DEPTH = 32;
