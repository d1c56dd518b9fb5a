/** Shared by the notification tests: what the API answers, and how to read it. */
import { expect } from "vitest";
import { api } from "../helpers";
import { OWNER } from "./remote";

export interface Account {
  id: string;
  uri: string;
}
export interface Status {
  id: string;
  uri: string;
  favourites_count: number;
  reblogs_count: number;
}
export interface Notification {
  id: string;
  type: string;
  created_at: string;
  group_key: string;
  account: Account;
  status?: Status | null;
}
export interface Group {
  group_key: string;
  notifications_count: number;
  type: string;
  most_recent_notification_id: string;
  page_min_id: string;
  page_max_id: string;
  latest_page_notification_at: string;
  sample_account_ids: string[];
  status_id?: string;
}
export interface Grouped {
  accounts: Account[];
  statuses: Status[];
  notification_groups: Group[];
}

/** The ungrouped list for a query (or a whole `Link` URL); it must answer 200. */
export async function v1(query: string) {
  const res = await api(query.startsWith("http") ? query : `/v1/notifications?${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return { res, list: (await res.json()) as Notification[] };
}

/** The grouped notifications for a query (or a whole `Link` URL); it must answer 200. */
export async function v2(query: string) {
  const res = await api(query.startsWith("http") ? query : `/v2/notifications?${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return { res, body: (await res.json()) as Grouped };
}

/** A tag mentioning the owner, as Mastodon writes it. */
export const mention = { type: "Mention", href: OWNER, name: "@owner@outpost.test" };
