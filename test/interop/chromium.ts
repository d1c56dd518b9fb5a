/**
 * Debian's Chromium for the browser tests (puppeteer-core drives it; its own browser download
 * cannot reach the internet here). A file of them is skipped when it is missing, except in
 * CI, where `.ci/run` installs it: there a missing Chromium fails the file.
 */
import { existsSync } from "node:fs";
import puppeteer, { type Browser } from "puppeteer-core";

/** Where this machine has Chromium (`CHROMIUM_PATH` first), if it has it. */
export const chromiumPath = [
  process.env.CHROMIUM_PATH,
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
]
  .filter((path): path is string => path !== undefined && path !== "")
  .find((path) => existsSync(path));

/** Whether the browser test file `file` is skipped here; says so when it is. */
export function skipWithoutChromium(file: string): boolean {
  const skip = chromiumPath === undefined && !process.env.CI;
  if (skip) {
    console.warn(
      `${file} skipped: no Chromium (apt-get install -y chromium, or set CHROMIUM_PATH); ` +
        "CI installs it and runs this file.",
    );
  }
  return skip;
}

/** Headless Chromium, as every browser test runs it. */
export function launchChromium(): Promise<Browser> {
  if (chromiumPath === undefined) {
    throw new Error("Chromium is missing: .ci/run installs it (apt-get install -y chromium)");
  }
  return puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}
