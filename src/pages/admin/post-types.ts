/** What the posts pages show of a post and of its activities' deliveries. */
import type { HostDelivery, HostDeliveryState } from "../../storage/deliveries";
import type { Visibility } from "../../storage/schema";

export interface PostLine {
  /** Its Mastodon status id. */
  readonly apiId: string;
  /** Its text, cut short. */
  readonly text: string;
  readonly published: Date;
  readonly deleted: boolean;
  readonly visibility: Visibility;
  /** The type of the latest activity about it (`Create`, `Update`, `Delete`). */
  readonly latest?: string;
  /** Hosts by where the latest activity's delivery stands. */
  readonly summary: Readonly<Record<HostDeliveryState, number>>;
}

export interface DeliveredActivity {
  readonly id: string;
  readonly type: string;
  readonly published: Date;
  readonly summary: Readonly<Record<HostDeliveryState, number>>;
  /** A page of its hosts, for the activity whose hosts are shown; undefined for the others. */
  readonly hosts?: readonly HostDelivery[];
}

/** Which hosts of a post's activities a page shows: one activity's, a page of them. */
export interface HostsShown {
  /** The activity (from 1, in publication order) whose hosts are listed. */
  readonly activity: number;
  /** The page of its hosts (from 1), and how many a page holds. */
  readonly page: number;
  readonly perPage: number;
}

/** The states in the order the pages list them. */
export const DELIVERY_STATES: readonly HostDeliveryState[] = [
  "delivered",
  "pending",
  "retrying",
  "parked",
  "failed",
];
