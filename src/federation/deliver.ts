/**
 * One signed POST of a stored activity to one inbox, and what its answer means (the
 * classification of Mastodon and Fedify): delivered, gone for good, refused for this
 * activity, or worth another try later.
 */
import { withContext } from "../activitypub/context";
import type { Config } from "../env";
import { type SigningKey, signMessage } from "../signatures/sign";
import type { SignatureFlavour } from "../signatures/verify";
import { SOFTWARE } from "../version";
import { checkRemoteUrl } from "./remote-url";

export type DeliveryOutcome =
  | { readonly kind: "delivered"; readonly status: number }
  /** 404/410: the inbox is gone; never try it again. */
  | { readonly kind: "gone"; readonly status: number }
  /** Another 4xx: the host is up but will not take this activity. */
  | { readonly kind: "rejected"; readonly status: number }
  /** 401/408/429/503 and friends: try again, after `retryAfter` seconds when the host says. */
  | { readonly kind: "retry"; readonly status: number; readonly retryAfter?: number }
  /** 5xx, timeouts, refused connections: the host is failing. */
  | { readonly kind: "hostFailure"; readonly status?: number; readonly error: string }
  /** The URL is not one we may send to. */
  | { readonly kind: "blocked" };

/** Reads `Retry-After` (seconds or an HTTP date) into seconds from now. */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

export function classifyResponse(response: Pick<Response, "status" | "headers">): DeliveryOutcome {
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: "delivered", status };
  if (status === 404 || status === 410) return { kind: "gone", status };
  if (status === 429 || status === 503) {
    return {
      kind: "retry",
      status,
      retryAfter: parseRetryAfter(response.headers.get("retry-after")),
    };
  }
  if (status === 401 || status === 408) return { kind: "retry", status };
  if (status >= 400 && status < 500) return { kind: "rejected", status };
  return { kind: "hostFailure", status, error: `HTTP ${status}` };
}

export interface DeliverOptions {
  readonly config: Config;
  readonly key: SigningKey;
  readonly flavour?: SignatureFlavour;
  /** Default 10 s. */
  readonly timeoutMs?: number;
}

/** POSTs the activity to the inbox, signed now, and classifies what happened. */
export async function deliverTo(
  inbox: string,
  activity: Record<string, unknown>,
  options: DeliverOptions,
): Promise<DeliveryOutcome> {
  const allowed = checkRemoteUrl(inbox, options.config);
  if (!allowed.ok) return { kind: "blocked" };
  const body = new TextEncoder().encode(JSON.stringify(withContext(activity)));
  const headers = await signMessage(
    {
      method: "POST",
      url: allowed.url,
      headers: new Headers({
        "Content-Type": "application/activity+json",
        "User-Agent": `${SOFTWARE.name}/${SOFTWARE.version} (+${options.config.origin}/)`,
      }),
      body,
    },
    options.key,
    options.flavour ?? "cavage",
  );
  try {
    const response = await fetch(allowed.url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    await response.body?.cancel();
    return classifyResponse(response);
  } catch (error) {
    const name = error instanceof Error ? error.name : "Error";
    return { kind: "hostFailure", error: name === "TimeoutError" ? "timeout" : "network error" };
  }
}

/** Exponential backoff with jitter: between half and all of 30 s × 2^(attempt-1), capped at a day. */
export function backoffSeconds(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(24 * 3600, 30 * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(ceiling * (0.5 + random() / 2)));
}
