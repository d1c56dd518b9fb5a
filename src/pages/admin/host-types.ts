/** What the hosts page shows of a host, and how it may be asked to filter and sort. */
import type { SignatureFlavour } from "../../signatures/verify";

export const CONDITIONS = ["healthy", "slow", "backing-off", "open", "unavailable"] as const;
export type HostCondition = (typeof CONDITIONS)[number];

export const HOST_SORTS = [
  "host",
  "state",
  "followers",
  "failures",
  "parked",
  "next",
  "last",
] as const;
export type HostSort = (typeof HOST_SORTS)[number];

export interface HostView {
  readonly host: string;
  readonly followers: number;
  readonly condition: HostCondition;
  /** Failures in a row; null when its object was not asked. */
  readonly failures: number | null;
  /** Deliveries its object holds; null when it was not asked. */
  readonly parked: number | null;
  readonly lastReached: Date | null;
  readonly nextAttempt: Date | null;
  readonly flavour: SignatureFlavour;
}

export interface HostQuery {
  readonly sort: HostSort;
  readonly state?: HostCondition;
}

export interface HostList {
  readonly hosts: readonly HostView[];
  /** Listed hosts whose objects were not asked (beyond `MAX_OBJECT_CALLS`). */
  readonly unasked: number;
}
