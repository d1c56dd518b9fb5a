/**
 * SQL fragments rendered once. Drizzle renders a query by walking every chunk of every
 * fragment in it, testing each chunk's kind with `is()` (a walk up its class chain), each
 * time the query is built: a home page's notes query is about 1,100 chunks and its boosts
 * query about 2,100 (the home's own condition twice over, in subqueries built by the query
 * builder), and building the two took about 3 ms of CPU (Node, the same V8), a third of the
 * Worker's CPU for the page. A fragment renders to the same text every time: it is rendered
 * here once, and stands in a query as that text, with its parameters bound in their places.
 *
 * For the fields and conditions of a query that joins tables: a column renders qualified by
 * its table (`"actors"."id"`), as drizzle renders it there (not as in a `returning` list or
 * an index's expression, where it leaves the table out). The dialect is drizzle's default,
 * as `createDb`'s is (no `casing`): were one set there, it would be set here too.
 */
import { Param, Placeholder, SQL, type SQLChunk, StringChunk, sql } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";

/**
 * Renders a parameter as a mark (its index between two private-use characters, which no
 * statement of ours holds), to be found again in the text.
 */
class MarkingDialect extends SQLiteAsyncDialect {
  override escapeParam(num: number): string {
    return `\uE000${num}\uE001`;
  }
}

const marking = new MarkingDialect();

/** Where a use's value goes in a rendered fragment. */
class Hole<K extends string> {
  constructor(readonly name: K) {}
}
const MARK = /\uE000(\d+)\uE001/;

/**
 * The fragment as its rendered text, its values read as the driver gives them (a `mapWith`
 * decoder is not kept). It must bind nothing: a parameter would be lost from the text, so one
 * is refused (a mistake in the code, found by the first query that uses it).
 */
export function frozen<T>(fragment: SQL<T>): SQL<T> {
  const { sql: text, params } = marking.sqlToQuery(fragment);
  if (params.length > 0) throw new Error(`a frozen fragment binds nothing: ${text}`);
  return sql.raw(text) as SQL<T>;
}

/** `frozen`, once per key (a table or an alias of it): rendered on first use, then kept. */
export function frozenBy<K extends object, T>(make: (key: K) => SQL<T>): (key: K) => SQL<T> {
  const made = new WeakMap<K, SQL<T>>();
  return (key) => {
    let fragment = made.get(key);
    if (fragment === undefined) {
      fragment = frozen(make(key));
      made.set(key, fragment);
    }
    return fragment;
  };
}

/** A named hole in a fragment (`prerendered`), filled when the fragment is used. */
export type Holes<K extends string> = { readonly [N in K]: Placeholder<N> };

/** What fills a hole: a value as the driver takes it (a time as its column stores it). */
export type HoleValue = string | number | null;

/**
 * A fragment with holes (drizzle placeholders) where its uses differ, rendered once: each use
 * fills them and is a fragment of a few chunks, its text the rendered one and its parameters
 * bound in the same order as drizzle would bind them. The fragment's own values (literals
 * compared to columns) are bound as rendered, encoded by their columns; a hole's value is
 * bound as given, so a time goes in as its column stores it.
 */
export function prerendered<K extends string, T>(
  names: readonly K[],
  make: (holes: Holes<K>) => SQL<T>,
): (values: Readonly<Record<K, HoleValue>>) => SQL<T> {
  const holes = Object.fromEntries(names.map((n) => [n, sql.placeholder(n)])) as Holes<K>;
  const { sql: text, params } = marking.sqlToQuery(make(holes));
  // Split on the marks: text, index, text, index, ..., text.
  const pieces = text.split(MARK);
  const parts: (SQLChunk | Hole<K>)[] = pieces.map((piece, i) => {
    if (i % 2 === 0) return new StringChunk(piece);
    // Every parameter once, in order: a mark the text held of itself would break that.
    if (Number(piece) !== (i - 1) / 2) throw new Error(`a stray mark in ${text}`);
    const value = params[Number(piece)];
    if (value instanceof Placeholder) return new Hole(value.name as K);
    // What drizzle bound as rendered: a hole inside a `Param` (an encoder's) would be lost.
    if (value !== null && typeof value === "object") throw new Error(`not a value: ${text}`);
    return new Param(value);
  });
  if (pieces.length !== 2 * params.length + 1) throw new Error(`a stray mark in ${text}`);
  const used = new Set(parts.flatMap((part) => (part instanceof Hole ? [part.name] : [])));
  const unused = names.filter((name) => !used.has(name));
  if (unused.length > 0) throw new Error(`holes the fragment leaves out: ${unused.join(", ")}`);
  return (values) =>
    new SQL<T>(
      parts.map((part) => {
        if (!(part instanceof Hole)) return part;
        const value = values[part.name];
        if (value === undefined) throw new Error(`no value for the hole ${part.name}`);
        return new Param(value);
      }),
    );
}

/**
 * `prerendered`, rendered on first use from what that use passes to build it (a query
 * builder: any builds the same text).
 */
export function prerenderedOnce<A, K extends string, T>(
  names: readonly K[],
  make: (arg: A, holes: Holes<K>) => SQL<T>,
): (arg: A, values: Readonly<Record<K, HoleValue>>) => SQL<T> {
  let render: ((values: Readonly<Record<K, HoleValue>>) => SQL<T>) | undefined;
  return (arg, values) => {
    render ??= prerendered(names, (holes) => make(arg, holes));
    return render(values);
  };
}
