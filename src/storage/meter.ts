/**
 * D1, metered: every query's rows read and written (from D1's own `meta`) are counted for
 * the invocation, so that /metrics tells what the instance costs on D1's bill; and every
 * round trip (a statement alone, or a batch of them), which is what a request waits for.
 *
 * D1's `raw()` returns no `meta`, so it is answered from `all()` with each row's values in
 * column order, as drizzle itself reads batch results. That is exact as long as a query
 * names no column twice, which drizzle's selects of named fields never do.
 */
import { recorder } from "../metrics/recorder";

const real = new WeakMap<object, D1PreparedStatement>();

const roundTrip = () => recorder().inc("outpost_d1_round_trips_total");

function count(meta: D1Meta | undefined): void {
  if (meta === undefined) return;
  const r = recorder();
  r.inc("outpost_d1_queries_total");
  r.inc("outpost_d1_rows_read_total", undefined, meta.rows_read ?? 0);
  r.inc("outpost_d1_rows_written_total", undefined, meta.rows_written ?? 0);
}

function meterStatement(statement: D1PreparedStatement): D1PreparedStatement {
  const wrapped = new Proxy(statement, {
    get(target, prop) {
      switch (prop) {
        case "bind":
          return (...values: unknown[]) => meterStatement(target.bind(...values));
        case "all":
          return async () => {
            const result = await target.all();
            roundTrip();
            count(result.meta);
            return result;
          };
        case "run":
          return async () => {
            const result = await target.run();
            roundTrip();
            count(result.meta);
            return result;
          };
        case "raw":
          return async (options?: { columnNames?: boolean }) => {
            const result = await target.all<Record<string, unknown>>();
            roundTrip();
            count(result.meta);
            const rows = result.results.map((row) => Object.values(row));
            if (options?.columnNames !== true) return rows;
            return [Object.keys(result.results[0] ?? {}), ...rows];
          };
        default: {
          const value = Reflect.get(target, prop, target);
          return typeof value === "function" ? value.bind(target) : value;
        }
      }
    },
  });
  real.set(wrapped, statement);
  return wrapped;
}

/**
 * A D1 binding or one of its sessions, metered. A session (`withSession`) has the binding's
 * `prepare` and `batch`, which is all drizzle and this module use; it is typed as the
 * binding so that drizzle takes it.
 */
export function meterD1(d1: D1Database | D1DatabaseSession): D1Database {
  return new Proxy(d1 as D1Database, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => meterStatement(target.prepare(query));
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements.map((s) => real.get(s) ?? s));
          roundTrip();
          for (const result of results) count(result.meta);
          return results;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
