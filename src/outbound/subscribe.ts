/**
 * Where a visitor follows the owner from their own server (the remote follow Mastodon's
 * profile pages offer): their server's WebFinger names a page for it, the OStatus subscribe
 * link's template (Mastodon, Misskey, GoToSocial, Akkoma publish one, such as
 * `https://their.server/authorize_interaction?uri={uri}`); without one, Mastodon's
 * `/authorize_interaction` on the handle's host. Where the template leads is checked like any
 * URL we fetch (`remote-url.ts`): a visitor is only ever sent to an http(s) page.
 */
import type { Handle } from "../activitypub/compose";
import { asString } from "../activitypub/parse";
import type { AppContext } from "../context";
import { checkRemoteUrl } from "./remote-url";
import { schemeFor, type WebfingerLookup, webfingerLinks } from "./webfinger";

export const SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe";

/** How long the visitor waits for their server's WebFinger, at most. */
export const SUBSCRIBE_LOOKUP_TIMEOUT_MS = 5_000;

export type SubscribeResult =
  | { readonly ok: true; readonly url: string }
  | Extract<WebfingerLookup, { ok: false }>;

export interface SubscribeQuery {
  /** The visitor's handle. */
  readonly handle: Handle;
  /** What they are to follow: the owner's actor id. */
  readonly uri: string;
}

/**
 * `{uri}` of the template filled with `uri` (RFC 6570's simple expansion: percent-encoded);
 * undefined when the template has no `{uri}` or does not make an http(s) URL we may send
 * someone to.
 */
export function expandSubscribeTemplate(
  ctx: Pick<AppContext, "config">,
  template: string,
  uri: string,
): string | undefined {
  if (!template.includes("{uri}")) return undefined;
  const checked = checkRemoteUrl(template.replaceAll("{uri}", encodeURIComponent(uri)), ctx.config);
  return checked.ok ? checked.url.href : undefined;
}

/** The page of the visitor's server where they confirm following `uri`. */
export async function subscribeUrl(
  ctx: Pick<AppContext, "config">,
  query: SubscribeQuery,
): Promise<SubscribeResult> {
  const { handle, uri } = query;
  const lookup = await webfingerLinks(ctx, handle, { timeoutMs: SUBSCRIBE_LOOKUP_TIMEOUT_MS });
  if (!lookup.ok) return lookup;
  for (const link of lookup.links) {
    const template = link.rel === SUBSCRIBE_REL ? asString(link.template) : undefined;
    const url = template === undefined ? undefined : expandSubscribeTemplate(ctx, template, uri);
    if (url !== undefined) return { ok: true, url };
  }
  const fallback = `${schemeFor(ctx, handle.host)}://${handle.host}/authorize_interaction?uri=${encodeURIComponent(uri)}`;
  return { ok: true, url: fallback };
}
