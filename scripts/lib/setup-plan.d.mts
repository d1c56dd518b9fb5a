import type { Resources, Settings } from "./deploy-config.mjs";

export type Kind = "queue" | "d1" | "kv" | "r2";
export interface Resource {
  kind: Kind;
  name: string;
}
export const COMMANDS: {
  queue: { info: (name: string) => string[]; create: (name: string) => string[] };
} & Record<Exclude<Kind, "queue">, { list: string[]; create: (name: string) => string[] }>;
export const KIND_NAMES: Record<Kind, string>;
export const WHOAMI: string[];
export function secretListArgs(config: string): string[];
export function migrateArgs(binding: string, config: string): string[];
export function deployArgs(config: string, secretsFile?: string): string[];
export type Account = { id: string; name: string };
export function chooseAccount(options: {
  accounts: Account[];
  requested?: string;
  previous?: string;
}):
  | { ok: true; account: Account }
  | { ok: false; reason: "notFound" | "several" | "none"; accounts: Account[] };
export function readQueueInfo(
  name: string,
  result: { code: number; stdout: string; stderr: string },
): "found" | "missing" | undefined;
export function readInventory(
  kind: Exclude<Kind, "queue">,
  stdout: string,
): Map<string, string> | undefined;
export function neededResources(resources: Resources): Resource[];
export function missingResources(
  resources: Resources,
  inventory: Partial<Record<Kind, Map<string, string>>>,
  previous?: Settings,
): Resource[];
export function idsOf(
  resources: Resources,
  inventory: Partial<Record<Kind, Map<string, string>>>,
  previous?: Settings,
): { d1Ids: Record<string, string | undefined>; kvIds: Record<string, string | undefined> };
export function missingSecrets(
  required: string[],
  listed: { name?: string }[] | undefined,
): string[];
