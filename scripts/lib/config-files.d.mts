import type { RawConfig } from "./deploy-config.mjs";

export function readBaseConfig(cwd: string): Promise<RawConfig>;
export function readDeployConfig(cwd: string): Promise<RawConfig | undefined>;
export function writeDeployConfig(cwd: string, config: RawConfig): string;
