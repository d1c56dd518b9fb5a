import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** The origin every test instance serves; tests build their URLs from it. */
export const TEST_ORIGIN = "https://outpost.test";

// Wrangler reads required secrets from process.env; tests use a fixed owner token.
process.env.OWNER_TOKEN ??= "test-owner-token";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            PUBLIC_ORIGIN: TEST_ORIGIN,
          },
        },
      }),
    ],
    test: {
      setupFiles: ["./test/setup.ts"],
      expect: { requireAssertions: true },
    },
  };
});
