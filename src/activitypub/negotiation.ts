/**
 * Content negotiation between browsers (HTML) and servers (ActivityStreams JSON) on the same
 * URL, as Mastodon does it: the ActivityPub types and `application/json` get JSON, everything
 * else, including `*` and no Accept at all, gets the HTML page.
 */
import { parseAccept } from "hono/utils/accept";

export const ACTIVITY_JSON = "application/activity+json; charset=utf-8";

const JSON_TYPES = new Set([
  "application/activity+json",
  "application/ld+json",
  "application/json",
]);

export function prefersActivityJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === "") return false;
  let best: { json: boolean; q: number } | undefined;
  for (const { type, q } of parseAccept(accept)) {
    const lower = type.toLowerCase();
    if (q <= 0) continue;
    const json = JSON_TYPES.has(lower);
    const html = lower === "text/html" || lower === "application/xhtml+xml";
    if (!json && !html) continue;
    // On equal weight, an explicit ActivityPub type wins over HTML: servers that list both
    // (Pleroma sends `application/activity+json, text/html;q=...`) want the document.
    if (best === undefined || q > best.q || (q === best.q && json && !best.json)) {
      best = { json, q };
    }
  }
  return best?.json ?? false;
}
