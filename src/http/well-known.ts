/** Discovery: WebFinger, host-meta and the NodeInfo links document. */
import { Hono } from "hono";
import { guessImageType, profileImages } from "../activitypub/actor";
import {
  filterLinks,
  type Jrd,
  parseResource,
  toJrd,
  type WebFingerResource,
} from "../activitypub/webfinger";
import type { AppEnv, Config } from "../env";
import { SCOPES } from "../mastodon/scopes";
import { effectiveProfile, profileQuery } from "../storage/owner-profile";
import { jsonError } from "./responses";

/** CORS: `middleware/cors.ts`, for every path under `/.well-known/`. */
export const wellKnown = new Hono<AppEnv>();

wellKnown.get("/webfinger", async (c) => {
  const parsed = parseResource(c.req.query("resource"));
  if (!parsed.ok) return jsonError(c, 400, parsed.error);
  const { config, db } = c.var.ctx;
  // The avatar is the profile's (an upload) or the configured one.
  const { avatar } = profileImages(config, effectiveProfile(config.owner, await profileQuery(db)));
  const jrd = findLocalJrd(config, { resource: parsed.resource, avatar });
  if (jrd === undefined) return jsonError(c, 404, "no such account on this server");
  return c.body(JSON.stringify(filterLinks(jrd, c.req.queries("rel") ?? [])), 200, {
    "Content-Type": "application/jrd+json; charset=utf-8",
  });
});

/**
 * OAuth 2 authorization server metadata (RFC 8414), with Mastodon's extension
 * `app_registration_endpoint`: how apps find the endpoints, scopes and PKCE.
 */
wellKnown.get("/oauth-authorization-server", (c) => {
  const { origin } = c.var.ctx.config;
  return c.json({
    issuer: `${origin}/`,
    service_documentation: "https://docs.joinmastodon.org/",
    authorization_endpoint: `${origin}/oauth/authorize`,
    token_endpoint: `${origin}/oauth/token`,
    revocation_endpoint: `${origin}/oauth/revoke`,
    app_registration_endpoint: `${origin}/api/v1/apps`,
    scopes_supported: [...SCOPES],
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "client_credentials"],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
    revocation_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    code_challenge_methods_supported: ["S256"],
  });
});

wellKnown.get("/host-meta", (c) => {
  const template = `${c.var.ctx.config.urls.webfinger}?resource={uri}`;
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">
  <Link rel="lrdd" type="application/jrd+json" template="${escapeXml(template)}"/>
</XRD>
`;
  return c.body(xml, 200, { "Content-Type": "application/xrd+xml; charset=utf-8" });
});

wellKnown.get("/nodeinfo", (c) => {
  const { urls } = c.var.ctx.config;
  return c.json({
    links: [
      { rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", href: urls.nodeinfo20 },
      { rel: "http://nodeinfo.diaspora.software/ns/schema/2.1", href: urls.nodeinfo21 },
    ],
  });
});

/** The owner or the instance actor, by `acct:` (case-insensitive, like Mastodon) or by URL. */
function findLocalJrd(
  config: Config,
  { resource, avatar }: { resource: WebFingerResource; avatar: string | undefined },
): Jrd | undefined {
  const { owner, urls, host } = config;
  const ownerJrd = () =>
    toJrd({
      username: owner.username,
      host,
      id: urls.owner.id,
      profile: urls.owner.profile,
      avatar: avatar === undefined ? undefined : { href: avatar, type: guessImageType(avatar) },
    });
  const instanceJrd = () =>
    toJrd({
      username: urls.instance.username,
      host,
      id: urls.instance.id,
      profile: urls.instance.profile,
    });

  if (resource.kind === "acct") {
    if (resource.host !== host.toLowerCase()) return undefined;
    const user = resource.user.toLowerCase();
    if (user === owner.username.toLowerCase()) return ownerJrd();
    if (user === urls.instance.username.toLowerCase()) return instanceJrd();
    return undefined;
  }
  if (resource.kind === "other") return undefined;
  const href = resource.url.href;
  if (href === urls.owner.id || href === urls.owner.profile) return ownerJrd();
  if (href === urls.instance.id) return instanceJrd();
  return undefined;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
