import type { WranglerResult } from "./wrangler.mjs";

export class StepFailure extends Error {
  constructor(options: { step: string; reason: string; detail?: string; hint: string });
  step: string;
  reason: string;
  detail: string;
  hint: string;
  stdout: string;
}
export function wranglerError(result: WranglerResult): string;
export function failureOf(
  step: string,
  result: WranglerResult,
  ctx: { args: string[]; accountId?: string; resource?: { kind: string; name: string } },
): StepFailure;
export function hintFor(reason: string, ctx?: { accountId?: string }): string;
export function renderFailure(failure: StepFailure): string;
