/**
 * Per-remote-host delivery state, one object per host (`idFromName(host)`): failure counts,
 * backoff, circuit breaker, parked deliveries and the signature flavour the host accepts.
 * SQLite-backed; filled in by the delivery work.
 */
import { DurableObject } from "cloudflare:workers";

export class HostState extends DurableObject<Env> {}
