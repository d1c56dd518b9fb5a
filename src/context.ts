/**
 * The one context an invocation works with: the configuration, D1, the KV actor cache, the
 * delivery queue, the host objects, the streaming object and the clock. Each entry point
 * (`fetch`, `queue`, `scheduled`, a Durable Object) builds it once from `env` and passes it
 * down; code below never builds a handle or reads the time itself. (Bindings only a route
 * uses, the rate limiters, the media bucket and the metrics object, stay on Hono's `c.env`.)
 * Functions ask for the part they use (`Pick<AppContext, "db" | "now">`), so a test can hand
 * them exactly that.
 */
import type { Config } from "./env";
import type { HostState } from "./hosts/host-state";
import { createDb, type Db } from "./storage/db";
import type { Streaming } from "./streaming/object";

/** Where time comes from. Every point in time in the code is a `Date` read from it. */
export type Clock = () => Date;

const systemClock: Clock = () => new Date();

/** The platform's bindings as the code uses them, with the clock: no configuration. */
export interface Platform {
  readonly db: Db;
  /** Remote actors and their keys (`ACTOR_CACHE`). */
  readonly cache: KVNamespace;
  /** Fan-outs, deliveries and fetches (`DELIVERY_QUEUE`); send through `enqueue`. */
  readonly queue: Queue;
  /** One `HostState` object per remote host (`HOST_STATE`). */
  readonly hosts: DurableObjectNamespace<HostState>;
  /** The owner's uploaded files (`MEDIA`): attachments, avatar and header. */
  readonly bucket: R2Bucket;
  /** The `Streaming` object with the owner's sockets (`STREAMING`); tell it with `streamAfter`. */
  readonly streaming: DurableObjectNamespace<Streaming>;
  readonly now: Clock;
}

export interface AppContext extends Platform {
  readonly config: Config;
}

/** How an invocation's context is built, beyond `env`: both have defaults. */
export interface ContextOptions {
  /** The clock; the system's by default. */
  readonly now?: Clock;
  /** D1 as this invocation reads it: a session of `env.DB` (read replication), or the binding. */
  readonly d1?: D1Database | D1DatabaseSession;
}

/** The platform part: what a Durable Object needs even when the vars are wrong. */
export function createPlatform(env: Env, options: ContextOptions = {}): Platform {
  const { now = systemClock, d1 = env.DB } = options;
  return {
    db: createDb(d1),
    cache: env.ACTOR_CACHE,
    queue: env.DELIVERY_QUEUE,
    hosts: env.HOST_STATE,
    bucket: env.MEDIA,
    streaming: env.STREAMING,
    now,
  };
}

export function createContext(env: Env, config: Config, options: ContextOptions = {}): AppContext {
  return { ...createPlatform(env, options), config };
}
