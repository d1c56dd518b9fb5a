/** What the hosts page shows of a host, and how it may be asked to filter and sort. */
import type { SignatureFlavour } from "../../signatures/verify";

export const CONDITIONS = [
  "healthy",
  "slow",
  "backing-off",
  "open",
  "unavailable",
  "gone",
] as const;
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
  /** Failures in a row; null when its object, asked, did not answer. */
  readonly failures: number | null;
  /** Deliveries its object holds; null when, asked, it did not answer. */
  readonly parked: number | null;
  /** When a delivery there last went through (to the minute). */
  readonly lastSuccess: Date | null;
  readonly nextAttempt: Date | null;
  readonly flavour: SignatureFlavour;
}

export interface HostQuery {
  readonly sort: HostSort;
  readonly state?: HostCondition;
  /** One host only (a lower-cased domain). */
  readonly host?: string;
  /** The page of rows shown, from 1. */
  readonly page: number;
}

export interface HostList {
  /** The rows of the page asked for, in order. */
  readonly hosts: readonly HostView[];
  /** How many hosts the filter matches, over all pages. */
  readonly total: number;
  readonly perPage: number;
  /** Rows on this page whose object did not answer (shown as unknown). */
  readonly unanswered: number;
  /** Rows on this page left out once asked: not in the state filtered on after all. */
  readonly leftOut: number;
  /** When D1 lists more hosts than a page reads: how many it read (the list is cut off). */
  readonly cutOffAt?: number;
}
