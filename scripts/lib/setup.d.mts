import type { Io } from "./io.mjs";
import type { Wrangler } from "./wrangler.mjs";

export interface SetupOptions {
  /** The command's arguments (after `npm run setup --`). */
  argv: string[];
  /** The repository: wrangler.toml is read, wrangler.deploy.jsonc written there. */
  cwd: string;
  wrangler: Wrangler;
  io: Io;
  env?: NodeJS.ProcessEnv;
  /** For the live checks (default: the global fetch). */
  fetch?: typeof fetch;
  liveCheck?: { attempts?: number; delayMs?: number };
  /** Makes a new secret (default: 24 random bytes, base64url). */
  generateSecret?: () => string;
}
export const SETUP_USAGE: string;
export class UsageError extends Error {}
/** Runs setup; its exit status (0, 1 on a failure, 2 on a usage error). */
export function runSetup(options: SetupOptions): Promise<number>;
