/**
 * Reading wrangler.toml and the deploy configuration (with wrangler's own reader, which
 * knows TOML and JSONC) and writing the latter.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BASE_CONFIG_FILE, DEPLOY_CONFIG_FILE, renderDeployConfig } from "./deploy-config.mjs";

async function readRaw(path) {
  const { experimental_readRawConfig } = await import("wrangler");
  return experimental_readRawConfig({ config: path }).rawConfig;
}

/** wrangler.toml, as written (no defaults filled in). */
export function readBaseConfig(cwd) {
  return readRaw(join(cwd, BASE_CONFIG_FILE));
}

/** The deploy configuration a previous run wrote, or undefined. */
export async function readDeployConfig(cwd) {
  const path = join(cwd, DEPLOY_CONFIG_FILE);
  return existsSync(path) ? readRaw(path) : undefined;
}

/** Writes the deploy configuration; its path, relative to `cwd`, for wrangler's `--config`. */
export function writeDeployConfig(cwd, config) {
  writeFileSync(join(cwd, DEPLOY_CONFIG_FILE), renderDeployConfig(config));
  return DEPLOY_CONFIG_FILE;
}
