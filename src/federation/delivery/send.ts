/**
 * One delivery POST: the stored activity's bytes, signed at send time (signatures expire,
 * retries come later) with the host's signature flavour, a timeout, and the answer
 * classified by the delivery policy. A host that refuses one flavour gets the other.
 */
import { withContext } from "../../activitypub/context";
import type { AppContext } from "../../context";
import { recorder } from "../../metrics/recorder";
import { userAgent } from "../../outbound/fetch-document";
import { checkRemoteUrl } from "../../outbound/remote-url";
import { type BodyDigests, bodyDigests, type SigningKey, signMessage } from "../../signatures/sign";
import type { SignatureFlavour } from "../../signatures/verify";
import {
  classifyError,
  classifyResponse,
  type DeliveryOutcome,
  FAST_PATH_TIMEOUT_MS,
  mayWantOtherFlavour,
} from "./policy";

export interface PreparedActivity {
  readonly body: Uint8Array;
  readonly digests: BodyDigests;
}

/** The bytes every inbox gets, serialised and hashed once. `bto`/`bcc` are never sent. */
export async function prepareActivity(payload: Record<string, unknown>): Promise<PreparedActivity> {
  const { bto: _bto, bcc: _bcc, ...visible } = payload;
  const body = new TextEncoder().encode(JSON.stringify(withContext(visible)));
  return { body, digests: await bodyDigests(body) };
}

export interface SendOptions {
  readonly activity: PreparedActivity;
  readonly key: SigningKey;
  readonly flavour: SignatureFlavour;
  /** How long the inbox has to answer (`DELIVERY_TIMEOUT_MS`). */
  readonly timeoutMs: number;
}

/** POSTs the activity to the inbox, signed now, and classifies what happened. */
async function deliverTo(
  ctx: Pick<AppContext, "config" | "now">,
  inbox: string,
  options: SendOptions,
): Promise<DeliveryOutcome> {
  const allowed = checkRemoteUrl(inbox, ctx.config);
  if (!allowed.ok) return { kind: "blocked", inbox };
  const { activity } = options;
  const headers = await signMessage(
    {
      method: "POST",
      url: allowed.url,
      headers: new Headers({
        "Content-Type": "application/activity+json",
        "User-Agent": userAgent(ctx.config.origin),
      }),
      body: activity.body,
      digests: activity.digests,
    },
    { key: options.key, flavour: options.flavour, now: ctx.now() },
  );
  const started = ctx.now();
  let outcome: DeliveryOutcome;
  try {
    const response = await fetch(allowed.url, {
      method: "POST",
      headers,
      body: activity.body,
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    await response.body?.cancel();
    outcome = classifyResponse(inbox, response, ctx.now());
  } catch (error) {
    outcome = classifyError(inbox, error);
  }
  const elapsedMs = ctx.now().getTime() - started.getTime();
  countDelivery(outcome, elapsedMs / 1000);
  // A failure that took this long is not the quick kind the policy retries on a beat.
  if (outcome.kind === "hostFailure" && elapsedMs > FAST_PATH_TIMEOUT_MS) {
    return { ...outcome, slow: true };
  }
  return outcome;
}

/** One POST, in the metrics: its duration, its result, and the kind of error if any. */
function countDelivery(outcome: DeliveryOutcome, seconds: number): void {
  const r = recorder();
  r.observe("activitypub_delivery_duration_seconds", seconds);
  r.inc("activitypub_deliveries_total", { result: outcome.kind });
  if (outcome.kind === "delivered") return;
  let errorType: string = outcome.kind;
  if (outcome.kind === "hostFailure") {
    errorType =
      outcome.status !== undefined
        ? "http_5xx"
        : outcome.error === "timeout"
          ? "timeout"
          : "network";
  } else if ("status" in outcome) {
    errorType = `http_${outcome.status}`;
  }
  r.inc("activitypub_delivery_errors_total", { error_type: errorType });
}

const otherFlavour = (f: SignatureFlavour): SignatureFlavour =>
  f === "cavage" ? "rfc9421" : "cavage";

/**
 * Sends with the host's flavour; when the host answers 400 or 401, knocks once more with
 * the other flavour (draft-cavage and RFC 9421), and says which one worked.
 */
export async function deliverKnocking(
  ctx: Pick<AppContext, "config" | "now">,
  inbox: string,
  options: SendOptions,
): Promise<Knocked> {
  const started = ctx.now().getTime();
  const answered = (outcome: DeliveryOutcome, worked?: SignatureFlavour): Knocked => ({
    outcome,
    worked,
    slow: ctx.now().getTime() - started > FAST_PATH_TIMEOUT_MS,
  });
  const first = await deliverTo(ctx, inbox, options);
  if (!mayWantOtherFlavour(first)) return answered(first);
  const flavour = otherFlavour(options.flavour);
  const second = await deliverTo(ctx, inbox, { ...options, flavour });
  return second.kind === "delivered" ? answered(second, flavour) : answered(first);
}

/** What one inbox came to, the flavour that worked if knocking found it, and whether it was slow. */
export interface Knocked {
  readonly outcome: DeliveryOutcome;
  readonly worked?: SignatureFlavour;
  /** All of it took longer than `FAST_PATH_TIMEOUT_MS`: the host is slow. */
  readonly slow: boolean;
}
