/** What a wrangler command printed, and how it exited. */
export interface WranglerResult {
  code: number;
  stdout: string;
  stderr: string;
}
export interface RunOptions {
  /** Copy the output to this process's as it comes. */
  echo?: boolean;
  /** Added to the environment wrangler runs in. */
  env?: Record<string, string>;
}
/** Runs `wrangler <args>`; tests answer with recorded outputs. */
export type Wrangler = (args: string[], options?: RunOptions) => Promise<WranglerResult>;

export function createWrangler(options: { cwd: string; env?: NodeJS.ProcessEnv }): Wrangler;
export function plain(text: string): string;
export function commandLine(args: string[]): string;
export function parseJsonOutput(stdout: string): unknown;
export function parseR2BucketNames(stdout: string): string[];
export function parseWorkersDevUrl(stdout: string): string | undefined;
