/**
 * Whether a page links back to the owner, as Mastodon verifies a profile link: a GET asking
 * for HTML, the URL and every redirect checked by `checkRemoteUrl`, one deadline for it all,
 * at most `MAX_DOCUMENT_BYTES` read, and the page's `<a>` and `<link>` elements whose `rel`
 * holds `me` compared with the owner's URLs, case-insensitively (Mastodon's
 * `VerifyLinkService`). The page is only read by the platform's parser (`HTMLRewriter`).
 */
import type { AppContext } from "../context";
import { readCapped } from "../lib/read-capped";
import { FETCH_TIMEOUT_MS, MAX_DOCUMENT_BYTES, userAgent } from "./fetch-document";
import { fetchFollowing } from "./redirects";

export type LinkBackResult =
  /** The page was read: whether it links back. */
  | { readonly ok: true; readonly linksBack: boolean }
  | {
      readonly ok: false;
      readonly reason: /** The URL, or a redirect, is not one we may request. */
        | "refused"
        /** No answer in time, or no connection. */
        | "unreachable"
        /** An error status (its `status`), or a redirect without a usable `Location`. */
        | "httpError"
        /** Not `text/html`, or HTML the parser gives up on. */
        | "notHtml"
        | "tooLarge"
        | "tooManyRedirects";
      readonly status?: number;
    };

export interface LinkBackQuery {
  /** The page, a field's value. */
  readonly url: string;
  /** What counts as the owner: the actor's id and the profile page's URL. */
  readonly targets: readonly string[];
}

export interface LinkBackOptions {
  /** For the whole check, redirects and body included. Default `FETCH_TIMEOUT_MS` (10 s). */
  readonly timeoutMs?: number;
  /** Default `MAX_DOCUMENT_BYTES` (1 MiB). */
  readonly maxBytes?: number;
}

/** Redirects followed, each `Location` checked as the first URL is (Mastodon's default too). */
const MAX_REDIRECTS = 3;

/** Fetches the page and looks for a `rel="me"` link to one of the targets. */
export async function checkLinkBack(
  ctx: Pick<AppContext, "config">,
  query: LinkBackQuery,
  options: LinkBackOptions = {},
): Promise<LinkBackResult> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? FETCH_TIMEOUT_MS);
  try {
    const followed = await fetchFollowing(query.url, {
      config: ctx.config,
      maxRedirects: MAX_REDIRECTS,
      send: (url) =>
        fetch(url, {
          headers: { Accept: "text/html", "User-Agent": userAgent(ctx.config.origin) },
          redirect: "manual",
          signal,
        }),
    });
    if (!followed.ok) {
      if (followed.reason === "badLocation") {
        return { ok: false, reason: "httpError", status: followed.status };
      }
      return { ok: false, reason: followed.reason };
    }
    return await readPage(followed.response, { ...query, maxBytes: options.maxBytes });
  } catch {
    // The deadline, a refused or reset connection: nothing was said about the page.
    return { ok: false, reason: "unreachable" };
  }
}

/** An answer that is not a redirect: its HTML read, up to the cap. */
async function readPage(
  response: Response,
  query: LinkBackQuery & { readonly maxBytes?: number | undefined },
): Promise<LinkBackResult> {
  if (response.status !== 200) {
    await response.body?.cancel();
    return { ok: false, reason: "httpError", status: response.status };
  }
  const type = response.headers.get("content-type") ?? "";
  if (type.split(";")[0]?.trim().toLowerCase() !== "text/html") {
    await response.body?.cancel();
    return { ok: false, reason: "notHtml" };
  }
  const bytes = await readCapped(response, query.maxBytes ?? MAX_DOCUMENT_BYTES);
  if (bytes === undefined) return { ok: false, reason: "tooLarge" };
  const owner = new Set(query.targets.map((t) => t.toLowerCase()));
  let linksBack = false;
  const look = (element: Element) => {
    const rel = (element.getAttribute("rel") ?? "").toLowerCase().split(/\s+/);
    const href = element.getAttribute("href")?.trim().toLowerCase();
    if (rel.includes("me") && href !== undefined && owner.has(href)) linksBack = true;
  };
  try {
    // The rewritten page is only the parser's echo: read to drive it, then dropped.
    await new HTMLRewriter()
      .on("a[rel], link[rel]", { element: look })
      .transform(new Response(bytes, { headers: { "content-type": type } }))
      .arrayBuffer();
  } catch {
    return { ok: false, reason: "notHtml" };
  }
  return { ok: true, linksBack };
}
