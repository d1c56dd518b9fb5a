import type { SetupOptions } from "./setup.mjs";

export const DEPLOY_USAGE: string;
/** Runs the deploy; its exit status. */
export function runDeploy(options: SetupOptions): Promise<number>;
