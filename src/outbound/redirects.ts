/**
 * Following redirects by hand, for every GET the instance makes of another server: the
 * runtime would follow them itself, unchecked, so a server could send us on to a private
 * address. Each URL, the first and every `Location`, passes `checkRemoteUrl` before it is
 * fetched, and only so many redirects are followed.
 */
import { checkRemoteUrl, type RemoteUrlOptions } from "./remote-url";

/** The answer that is not a redirect, or why none was fetched. */
export type Followed =
  | {
      readonly ok: true;
      readonly response: Response;
      /** Where it came from (a `Location`'s), or undefined when it is the URL asked. */
      readonly redirectedTo?: URL;
    }
  /** A URL refused, before it was requested. */
  | { readonly ok: false; readonly reason: "refused" }
  /** Too many redirects; a `Location` that is not a URL (`status`: the redirect's). */
  | {
      readonly ok: false;
      readonly reason: "tooManyRedirects" | "badLocation";
      readonly status: number;
    };

export interface FollowOptions {
  readonly config: RemoteUrlOptions;
  readonly maxRedirects: number;
  /** Makes one request (headers, signature, the caller's deadline), `redirect: "manual"`. */
  readonly send: (url: URL) => Promise<Response>;
}

/** Fetches `target`, following its redirects within the options; throws what `send` throws. */
export async function fetchFollowing(
  target: string | URL,
  options: FollowOptions,
): Promise<Followed> {
  let next: string | URL = target;
  for (let redirects = 0; ; redirects++) {
    const allowed = checkRemoteUrl(next, options.config);
    if (!allowed.ok) return { ok: false, reason: "refused" };
    const response = await options.send(allowed.url);
    const location = response.headers.get("location");
    if (response.status < 300 || response.status >= 400 || location === null) {
      return redirects === 0
        ? { ok: true, response }
        : { ok: true, response, redirectedTo: allowed.url };
    }
    await response.body?.cancel();
    const { status } = response;
    if (redirects >= options.maxRedirects) return { ok: false, reason: "tooManyRedirects", status };
    const parsed = URL.parse(location, allowed.url.href);
    if (parsed === null) return { ok: false, reason: "badLocation", status };
    next = parsed;
  }
}
