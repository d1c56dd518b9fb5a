/** Migrates one empty local state for the interop suite; each file starts from a copy. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { migrate, wranglerEnv } from "../../bench/instance.mjs";

export default function setup(project: TestProject) {
  const template = mkdtempSync(join(tmpdir(), "outpost-interop-template-"));
  migrate(template, wranglerEnv("unused"));
  project.provide("interopTemplate", template);
  return () => rmSync(template, { recursive: true, force: true });
}

declare module "vitest" {
  export interface ProvidedContext {
    interopTemplate: string;
  }
}
