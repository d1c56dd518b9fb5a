/** Who a note is for, as Mastodon names it (a column of `notes`, `outbox` and `profile`). */
export const VISIBILITIES = ["public", "unlisted", "private", "direct"] as const;
export type Visibility = (typeof VISIBILITIES)[number];
