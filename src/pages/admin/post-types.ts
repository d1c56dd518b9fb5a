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
  readonly hosts: readonly HostDelivery[];
}

/** The states in the order the pages list them. */
export const DELIVERY_STATES: readonly HostDeliveryState[] = [
  "delivered",
  "pending",
  "retrying",
  "parked",
  "failed",
];
