import type { D1Migration } from "@cloudflare/vitest-plugin";

declare global {
  namespace Cloudflare {
    interface Env {
      /** Read from ./migrations by vitest.config.ts, applied by test/setup.ts. */
      TEST_MIGRATIONS: D1Migration[];
      /** wrangler.toml's queue consumers, read by vitest.config.ts. */
      TEST_QUEUE_CONSUMERS: {
        queue: string;
        maxRetries: number | null;
        deadLetterQueue: string | null;
      }[];
    }
  }
}
