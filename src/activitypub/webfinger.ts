/** WebFinger (RFC 7033) resources and the JRD documents we answer with. */

export type WebFingerResource =
  | { readonly kind: "acct"; readonly user: string; readonly host: string }
  | { readonly kind: "url"; readonly url: URL }
  /** A well-formed URI of another scheme (`mailto:`...): valid, but nothing we describe. */
  | { readonly kind: "other"; readonly uri: string };

export type ParseResourceResult =
  | { readonly ok: true; readonly resource: WebFingerResource }
  | { readonly ok: false; readonly error: string };

/**
 * Parses the `resource` parameter. Beside `acct:user@host` and http(s) URLs it accepts what
 * real clients send: `user@host` and `@user@host` without the scheme.
 */
export function parseResource(value: string | undefined): ParseResourceResult {
  if (value === undefined || value.trim() === "") {
    return { ok: false, error: "the resource parameter is required" };
  }
  const resource = value.trim();
  if (/^https?:\/\//i.test(resource)) {
    const url = URL.parse(resource);
    return url === null
      ? { ok: false, error: "resource is not a valid URL" }
      : { ok: true, resource: { kind: "url", url } };
  }
  if (!/^acct:/i.test(resource) && /^[a-z][a-z0-9+.-]*:[^/]/i.test(resource)) {
    return { ok: true, resource: { kind: "other", uri: resource } };
  }
  const acct = resource.replace(/^acct:/i, "").replace(/^@/, "");
  const at = acct.lastIndexOf("@");
  const user = acct.slice(0, at);
  const host = acct.slice(at + 1);
  if (at <= 0 || host === "" || /[\s@/?#]/.test(user) || !isHost(host)) {
    return { ok: false, error: "resource must be acct:user@host or an http(s) URL" };
  }
  return { ok: true, resource: { kind: "acct", user, host: host.toLowerCase() } };
}

function isHost(host: string): boolean {
  const url = URL.parse(`https://${host}`);
  return url !== null && url.host === host.toLowerCase() && url.pathname === "/";
}

export interface JrdLink {
  readonly rel: string;
  readonly type?: string;
  readonly href?: string;
  readonly template?: string;
}

export interface Jrd {
  readonly subject: string;
  readonly aliases: readonly string[];
  readonly links: readonly JrdLink[];
}

/** Keeps only the links whose `rel` was asked for (RFC 7033 §4.3); all when none was. */
export function filterLinks(jrd: Jrd, rels: readonly string[]): Jrd {
  if (rels.length === 0) return jrd;
  return { ...jrd, links: jrd.links.filter((l) => rels.includes(l.rel)) };
}

export interface JrdActor {
  readonly username: string;
  readonly host: string;
  readonly id: string;
  readonly profile: string;
  readonly avatar?: { readonly href: string; readonly type?: string };
}

export function toJrd(actor: JrdActor): Jrd {
  const links: JrdLink[] = [
    { rel: "self", type: "application/activity+json", href: actor.id },
    { rel: "http://webfinger.net/rel/profile-page", type: "text/html", href: actor.profile },
  ];
  if (actor.avatar !== undefined) {
    links.push({ rel: "http://webfinger.net/rel/avatar", ...actor.avatar });
  }
  return {
    subject: `acct:${actor.username}@${actor.host}`,
    aliases: [actor.id, actor.profile],
    links,
  };
}
