/**
 * The Follow button's page, `GET /follow`: a form asking the visitor's handle; once given
 * (`?acct=you@your.server`), their server's WebFinger says where its users follow someone
 * (`outbound/subscribe.ts`) and the visitor is sent there (303) to confirm following the
 * owner's actor, as Mastodon's remote follow does. A handle that is not one, a server that
 * does not know it or does not answer: the form again, with why (4xx, 502), never a 500.
 *
 * A GET form, not a POST: it changes nothing here (no row, no cookie), so a forged request
 * can at most send a visitor to their own server's confirmation page, and there is nothing
 * for a CSRF token to protect. Only a request the browser says comes from our own pages
 * (`Sec-Fetch-Site: same-origin`) or from the visitor themselves (`none`: typed, a bookmark)
 * is looked up and redirected; any other (`cross-site`, `same-site`, or no header, as an old
 * browser or a script sends) gets the form filled in, for the visitor to send from our page:
 * this route is no trampoline for a link naming any server, and other sites cannot make
 * visitors' browsers set our lookups going. Each lookup is one outbound request, bounded by
 * its timeout, and counted per client address (`FOLLOW_RATE_LIMITER`, as the password's
 * attempts are): past the limit, the form again (429).
 */
import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../env";
import { parseHandle } from "../federation/resolve";
import { type SubscribeResult, subscribeUrl } from "../outbound/subscribe";
import { followPage } from "../pages/follow";
import { readProfile } from "../storage/owner-profile";
import { pagePolicy } from "./middleware/security";
import { addressKey } from "./oauth/password";

export const remoteFollow = new Hono<AppEnv>();

/** The longest handle read (a username and a host name at their longest). */
const MAX_HANDLE_LENGTH = 320;

type Failure = Extract<SubscribeResult, { ok: false }>["reason"];

/** What each failure answers, and how the visitor is told. */
const FAILURES: Record<Failure, { status: ContentfulStatusCode; say: (host: string) => string }> = {
  refused: {
    status: 400,
    say: (host) => `${host} is not a server this one can look up: check your handle.`,
  },
  notFound: {
    status: 404,
    say: (host) => `${host} does not know that account: check your handle.`,
  },
  unreachable: {
    status: 502,
    say: (host) => `${host} did not answer. Try again later, or search for the handle there.`,
  },
  invalid: {
    status: 502,
    say: (host) => `${host} answered, but not as a fediverse server does (WebFinger).`,
  },
};

interface FormAnswer {
  readonly status: ContentfulStatusCode;
  readonly acct?: string;
  readonly error?: string;
  /** The handle came from elsewhere: the visitor is asked to send it on. */
  readonly confirm?: boolean;
}

/** Where the browser says the request comes from: our own pages, or the visitor. */
const FROM_US = new Set(["same-origin", "none"]);

/**
 * The form, with its own policy: it may be sent to us (`'self'`), and what it leads to, the
 * visitor's server, may be anywhere over https (browsers hold a form's redirects to
 * `form-action` too); plain http only with the development switch, for loopback peers.
 */
async function form(c: Context<AppEnv>, answer: FormAnswer) {
  const { config, db } = c.var.ctx;
  const profile = await readProfile(db, config.owner);
  const targets = ["'self'", "https:", ...(config.devFederation ? ["http:"] : [])];
  c.header("Content-Security-Policy", await pagePolicy({ formAction: targets }));
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "strict-origin-when-cross-origin");
  c.header("Cache-Control", "no-store");
  const { acct, error, confirm } = answer;
  const page = followPage({ config, profile, acct, error, confirm });
  return c.html(page, answer.status);
}

remoteFollow.get("/follow", async (c) => {
  const { config } = c.var.ctx;
  const acct = c.req.query("acct");
  if (acct === undefined) return form(c, { status: 200 });
  const typed = acct.trim();
  if (typed === "") {
    return form(c, { status: 400, error: "Type your handle, such as you@your.server." });
  }
  const handle = typed.length <= MAX_HANDLE_LENGTH ? parseHandle(typed) : undefined;
  if (handle === undefined) {
    const error = "That is not a handle: type yours as you@your.server.";
    return form(c, { status: 400, acct: typed.slice(0, MAX_HANDLE_LENGTH), error });
  }
  if (handle.host === config.host) {
    const error = "That is an address on this server: type your handle on your own server.";
    return form(c, { status: 400, acct: typed, error });
  }
  if (!FROM_US.has(c.req.header("Sec-Fetch-Site") ?? "")) {
    return form(c, { status: 200, acct: typed, confirm: true });
  }
  const address = addressKey(c.req.header("cf-connecting-ip"));
  const { success } = await c.env.FOLLOW_RATE_LIMITER.limit({ key: `follow:${address}` });
  if (!success) {
    const error = "Too many lookups from your address. Wait a minute, then try again.";
    return form(c, { status: 429, acct: typed, error });
  }
  const found = await subscribeUrl(c.var.ctx, { handle, uri: config.urls.owner.id });
  if (!found.ok) {
    const failure = FAILURES[found.reason];
    return form(c, { status: failure.status, acct: typed, error: failure.say(handle.host) });
  }
  c.header("Cache-Control", "no-store");
  return c.redirect(found.url, 303);
});
