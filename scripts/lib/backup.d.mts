import type { Io } from "./io.mjs";
import type { Wrangler } from "./wrangler.mjs";

export interface BackupOptions {
  argv: string[];
  cwd: string;
  wrangler: Wrangler;
  io: Io;
  /** The backup's time (default: now). */
  now?: () => Date;
}
export const BACKUP_USAGE: string;
/** Runs the backup; its exit status. */
export function runBackup(options: BackupOptions): Promise<number>;
