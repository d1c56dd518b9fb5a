/**
 * Each interop test file gets its own Outpost: `wrangler dev` on a free loopback port, fresh
 * local state in a temporary folder, the development federation switch on, and short
 * delivery backoffs so that a host going down and coming back plays out in seconds. It is
 * stopped, with everything it started, when the file is done.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, inject } from "vitest";
import {
  INTEROP_PASSWORD,
  startInstance,
  stopInstance,
  stopOnExit,
  wranglerEnv,
} from "../../bench/instance.mjs";

export interface OutpostUnderTest {
  readonly origin: string;
  readonly token: string;
  /** `OWNER_PASSWORD`: what the owner types on the consent page. */
  readonly password: string;
}

declare global {
  var outpostUnderTest: OutpostUnderTest | undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

const token = "interop-owner-token";
const password = INTEROP_PASSWORD;
const env = wranglerEnv(token, password);
const state = mkdtempSync(join(tmpdir(), "outpost-interop-"));
// A copy of the state global-setup.ts migrated once: fresh, and no migration run per file.
cpSync(inject("interopTemplate"), state, { recursive: true });
const port = await freePort();
const dev = await startInstance({
  port,
  state,
  env,
  hostname: "127.0.0.1",
  vars: { DEV_RETRY_BASE_MS: "500" },
  log: Boolean(process.env.INTEROP_LOG),
}).catch((error: unknown) => {
  rmSync(state, { recursive: true, force: true });
  throw error;
});
// Should the test process end before afterAll (a crash, a killed worker), workerd goes too.
const forget = stopOnExit(dev);
globalThis.outpostUnderTest = { origin: `http://127.0.0.1:${port}`, token, password };

afterAll(async () => {
  await stopInstance(dev);
  forget();
  rmSync(state, { recursive: true, force: true });
});
