import type { TestProject } from "vitest/node";
import { startFediverse } from "./support/fediverse-server";

/** Starts the fake fediverse once for the whole run, and stops it afterwards. */
export default async function setup(project: TestProject) {
  const fediverse = await startFediverse();
  project.provide("fediversePort", fediverse.port);
  return () => fediverse.close();
}

declare module "vitest" {
  export interface ProvidedContext {
    fediversePort: number;
  }
}
