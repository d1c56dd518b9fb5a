/**
 * `env.DB` (and its sessions) counting the calls that reach D1: every `batch`, every
 * statement run alone. What the round-trip tests count.
 */
import { env } from "cloudflare:workers";

export function countingD1(): { d1: D1Database; calls: () => number } {
  let calls = 0;
  const real = new WeakMap<object, object>();
  const wrap = <T extends object>(target: T, hook: (prop: PropertyKey) => unknown): T => {
    const proxy = new Proxy(target, {
      get(t, prop) {
        const hooked = hook(prop);
        if (hooked !== undefined) return hooked;
        const value = Reflect.get(t, prop, t);
        return typeof value === "function" ? value.bind(t) : value;
      },
    });
    real.set(proxy, target);
    return proxy;
  };
  const statement = (s: D1PreparedStatement): D1PreparedStatement =>
    wrap(s, (prop) => {
      if (prop === "bind") return (...params: unknown[]) => statement(s.bind(...params));
      if (prop === "all" || prop === "raw" || prop === "first" || prop === "run") {
        const run = Reflect.get(s, prop, s) as (...args: unknown[]) => unknown;
        return (...args: unknown[]) => {
          calls += 1;
          return run.apply(s, args);
        };
      }
      return undefined;
    });
  const database = <T extends D1Database | D1DatabaseSession>(d: T): T =>
    wrap(d, (prop) => {
      if (prop === "prepare") return (sql: string) => statement(d.prepare(sql));
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          calls += 1;
          return d.batch(statements.map((s) => (real.get(s) ?? s) as D1PreparedStatement));
        };
      }
      if (prop === "withSession" && "withSession" in d) {
        return (start?: string) => database(d.withSession(start));
      }
      return undefined;
    });
  return { d1: database(env.DB), calls: () => calls };
}
