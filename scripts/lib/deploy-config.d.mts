/** A wrangler configuration as written (wrangler's raw config). */
export type RawConfig = Record<string, unknown> & {
  name?: string;
  vars?: Record<string, unknown>;
  d1_databases?: { binding: string; database_name: string; database_id?: string }[];
  kv_namespaces?: { binding: string; id?: string }[];
  r2_buckets?: { binding: string; bucket_name: string }[];
  account_id?: string;
};
export interface Resources {
  worker: string;
  queues: string[];
  d1: { binding: string; name: string }[];
  kv: { binding: string; title: string }[];
  r2: { binding: string; name: string }[];
}
export interface Settings {
  accountId?: string;
  origin?: string;
  username?: string;
  vars?: Record<string, unknown>;
  routes?: unknown;
  workersDev?: boolean;
  previewUrls?: boolean;
  d1Ids?: Record<string, string | undefined>;
  kvIds?: Record<string, string | undefined>;
}
export type Parsed<K extends string> =
  | ({ ok: true } & Record<K, string>)
  | { ok: false; reason: string };

export const BASE_CONFIG_FILE: string;
export const DEPLOY_CONFIG_FILE: string;
export function kvTitle(workerName: string, binding: string): string;
export function resourcesOf(base: RawConfig): Resources;
export function settingsOf(deploy: RawConfig | undefined): Settings;
export function deriveDeployConfig(
  base: RawConfig,
  settings: Settings,
): RawConfig & {
  vars: Record<string, unknown>;
};
export function missingIds(config: RawConfig): string[];
export function renderDeployConfig(config: RawConfig): string;
export function isLoopbackHostname(hostname: string): boolean;
export function parseOrigin(input: unknown): Parsed<"origin">;
export function parseUsername(input: unknown, origin?: string): Parsed<"username">;
export function deployProblems(config: RawConfig): string[];
