/** Who a post is addressed to, per visibility, as Mastodon addresses it. */
import type { Visibility } from "../storage/schema";
import { PUBLIC_COLLECTION } from "./context";

export interface Addressing {
  readonly to: string[];
  readonly cc: string[];
}

/**
 * public: to Public, cc followers; unlisted: the reverse; private: followers only; direct:
 * the mentioned only. Mentioned actors are always addressed (in `cc`, or `to` when direct).
 */
export function addressFor(
  visibility: Visibility,
  followers: string,
  mentioned: readonly string[],
): Addressing {
  const others = [...new Set(mentioned)];
  switch (visibility) {
    case "public":
      return { to: [PUBLIC_COLLECTION], cc: [followers, ...others] };
    case "unlisted":
      return { to: [followers], cc: [PUBLIC_COLLECTION, ...others] };
    case "private":
      return { to: [followers], cc: others };
    case "direct":
      return { to: others, cc: [] };
  }
}
