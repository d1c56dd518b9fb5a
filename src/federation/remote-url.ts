/**
 * Which URLs the instance may fetch from or deliver to. Remote documents name URLs we then
 * request, so this is the guard against being turned on our own network: https only, and
 * never loopback, private or link-local addresses. The development switch (`DEV_FEDERATION`)
 * opens plain http and loopback hosts, so local instances can federate on one machine.
 */
import { isLoopbackHostname } from "../env";

export type RemoteUrlCheck =
  | { readonly ok: true; readonly url: URL }
  | {
      readonly ok: false;
      readonly reason: "invalidUrl" | "insecureScheme" | "credentials" | "privateHost";
    };

export interface RemoteUrlOptions {
  /** Allow `http:` and loopback hosts (development only). Default false. */
  readonly devFederation: boolean;
}

export function checkRemoteUrl(value: string | URL, options: RemoteUrlOptions): RemoteUrlCheck {
  const url = typeof value === "string" ? URL.parse(value) : value;
  if (url === null || (url.protocol !== "https:" && url.protocol !== "http:")) {
    return { ok: false, reason: "invalidUrl" };
  }
  if (url.username !== "" || url.password !== "") return { ok: false, reason: "credentials" };
  const loopback = isLoopbackHostname(url.hostname);
  if (options.devFederation && loopback) return { ok: true, url };
  if (url.protocol !== "https:") return { ok: false, reason: "insecureScheme" };
  if (loopback || isPrivateHostname(url.hostname)) return { ok: false, reason: "privateHost" };
  return { ok: true, url };
}

/** Private, link-local, unspecified and local-only names, as literals or reserved names. */
function isPrivateHostname(hostname: string): boolean {
  const h = hostname.toLowerCase();
  if (h.endsWith(".local") || h.endsWith(".internal") || h.endsWith(".home.arpa")) return true;
  const v4 = h.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (v4 !== null) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 ||
      a === 10 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      a >= 224
    );
  }
  if (h.startsWith("[")) {
    const v6 = h.slice(1, -1);
    return (
      v6 === "::" ||
      /^f[cd][0-9a-f]{0,2}:/.test(v6) ||
      /^fe[89ab][0-9a-f]?:/.test(v6) ||
      // IPv4-mapped addresses reach the IPv4 network; URL normalises them to hex.
      v6.startsWith("::ffff:")
    );
  }
  return false;
}
