/** Mastodon's List entity. */
import type { ListRow } from "../storage/schema-lists";

/** A list; its id is its `seq` (Mastodon's are plain integers too). */
export function serializeList(row: ListRow) {
  return {
    id: String(row.seq),
    title: row.title,
    replies_policy: row.repliesPolicy,
    exclusive: row.exclusive,
  };
}
