import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { unstable_readConfig } from "wrangler";

/** The origin every test instance serves; tests build their URLs from it. */
export const TEST_ORIGIN = "https://outpost.test";

// Wrangler reads required secrets from process.env; tests use a fixed owner token.
process.env.OWNER_TOKEN ??= "test-owner-token";
process.env.OWNER_PASSWORD ??= "test-owner-password";

/**
 * Three projects. `workers`: every unit and integration test, inside workerd against the real
 * local D1, KV, Queues and Durable Objects, with remote servers faked on loopback. `interop`:
 * Outpost as a real `wrangler dev` server (one per file) talking to independent ActivityPub
 * servers (Fedify) on loopback; it runs after the first, so the two do not compete for the
 * machine's cores. `scripts`: `npm run setup`, `deploy` and `backup` in Node, against
 * wrangler outputs recorded in test/fixtures/wrangler/; last, and light.
 */
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  // The queue consumers as wrangler.toml declares them: a test checks them against the
  // delivery policy, which is where their retry counts come from.
  const { queues } = unstable_readConfig({ config: "./wrangler.toml" });
  type Consumer = { queue: string; max_retries?: number; dead_letter_queue?: string };
  const consumers = (queues.consumers ?? []).map((c: Consumer) => ({
    queue: c.queue,
    maxRetries: c.max_retries ?? null,
    deadLetterQueue: c.dead_letter_queue ?? null,
  }));
  return {
    test: {
      expect: { requireAssertions: true },
      projects: [
        {
          plugins: [
            cloudflareTest(({ inject }) => {
              const port = inject("fediversePort");
              return {
                wrangler: { configPath: "./wrangler.toml" },
                miniflare: {
                  bindings: {
                    TEST_MIGRATIONS: migrations,
                    TEST_QUEUE_CONSUMERS: consumers,
                    PUBLIC_ORIGIN: TEST_ORIGIN,
                  },
                  // A second, empty database for test/upgrade.test.ts, which builds it from an
                  // earlier release's migrations (setup.ts migrates only DB to the head).
                  d1Databases: ["UPGRADE_DB"],
                  // The corpus replay sends hundreds of activities from a few hosts
                  // (example.com): the per-host limit is a little higher here than deployed.
                  ratelimits: {
                    INBOX_RATE_LIMITER: {
                      namespace_id: "1001",
                      simple: { limit: 400, period: 60 },
                    },
                    INBOX_IP_RATE_LIMITER: {
                      namespace_id: "1002",
                      simple: { limit: 1200, period: 60 },
                    },
                    PASSWORD_RATE_LIMITER: {
                      namespace_id: "1003",
                      simple: { limit: 5, period: 60 },
                    },
                    // Tests register many apps from one (absent) address.
                    APP_RATE_LIMITER: {
                      namespace_id: "1004",
                      simple: { limit: 1000, period: 60 },
                    },
                    // As deployed: the Follow page's tests give each lookup its own address.
                    FOLLOW_RATE_LIMITER: {
                      namespace_id: "1005",
                      simple: { limit: 10, period: 60 },
                    },
                  },
                  // Every outbound request of the Worker (and of the tests) goes to the fake
                  // fediverse on loopback, which answers for any host.
                  outboundService: (request: Request) => {
                    const url = new URL(request.url);
                    const headers = new Headers(request.headers);
                    headers.set("x-forwarded-host", url.host);
                    headers.set("x-forwarded-proto", url.protocol.slice(0, -1));
                    return fetch(`http://127.0.0.1:${port}${url.pathname}${url.search}`, {
                      method: request.method,
                      headers,
                      body: request.body,
                      redirect: "manual",
                      duplex: "half",
                    } as RequestInit);
                  },
                },
              };
            }),
          ],
          test: {
            name: "workers",
            include: ["src/**/*.test.ts", "test/*.test.ts", "test/hostile/*.test.ts"],
            globalSetup: ["./test/global-setup.ts"],
            setupFiles: ["./test/setup.ts"],
            sequence: { groupOrder: 0 },
          },
        },
        {
          test: {
            name: "interop",
            environment: "node",
            include: ["test/interop/**/*.test.ts"],
            globalSetup: ["./test/interop/global-setup.ts"],
            setupFiles: ["./test/interop/setup.ts"],
            sequence: { groupOrder: 1 },
            fileParallelism: false,
            // masto.js's streaming client needs a WebSocket: Node's own, global from 22 on,
            // behind a flag before.
            execArgv: typeof WebSocket === "undefined" ? ["--experimental-websocket"] : [],
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
        {
          test: {
            name: "scripts",
            environment: "node",
            include: ["test/scripts/**/*.test.ts"],
            sequence: { groupOrder: 2 },
          },
        },
      ],
    },
  };
});
