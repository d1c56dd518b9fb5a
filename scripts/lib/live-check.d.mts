export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}
export interface CheckResult {
  ok: boolean;
  /** Nothing answered at the origin (DNS, connection, TLS). */
  unreachable: boolean;
  checks: Check[];
}
export function checkOnce(options: {
  origin: string;
  username: string;
  fetch?: typeof fetch;
}): Promise<CheckResult>;
export function checkInstance(options: {
  origin: string;
  username: string;
  fetch?: typeof fetch;
  attempts?: number;
  delayMs?: number;
  onRetry?: (result: CheckResult) => void;
}): Promise<CheckResult>;
export function notLiveAdvice(options: {
  origin: string;
  username: string;
  worker: string;
  workersDev?: string;
  accountId?: string;
  result: CheckResult;
}): string;
