import type { ChildProcess } from "node:child_process";

export const INTEROP_PASSWORD: string;
export function wranglerEnv(token: string, password?: string): NodeJS.ProcessEnv;
export function migrate(state: string, env: NodeJS.ProcessEnv): void;
export function startInstance(options: {
  port: number;
  state: string;
  env: NodeJS.ProcessEnv;
  hostname?: string;
  vars?: Record<string, string>;
  log?: boolean;
}): Promise<ChildProcess>;
export function stopInstance(dev: ChildProcess): Promise<void>;
export function stopOnExit(dev: ChildProcess): () => void;
