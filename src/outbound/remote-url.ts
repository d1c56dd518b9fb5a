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

/**
 * Anything but a public address: local-only names, and IP literals outside public unicast.
 * IPv6 literals must be global unicast (2000::/3), minus the ranges that embed an IPv4
 * address (6to4, Teredo) or are reserved for documentation.
 */
function isPrivateHostname(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.+$/, "");
  if (/(^|\.)(local|internal|home\.arpa|localdomain)$/.test(h)) return true;
  const v4 = h.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (v4 !== null) {
    const [a, b, c] = [Number(v4[1]), Number(v4[2]), Number(v4[3])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 0 && (c === 0 || c === 2)) ||
      (a === 192 && b === 168) ||
      (a === 198 && (b === 18 || b === 19)) ||
      (a === 198 && b === 51 && c === 100) ||
      (a === 203 && b === 0 && c === 113) ||
      a >= 224
    );
  }
  if (h.startsWith("[")) {
    const v6 = h.slice(1, -1);
    const first = v6.startsWith("::") ? 0 : Number.parseInt(v6.split(":")[0] ?? "0", 16);
    const second = Number.parseInt(v6.split(":")[1] || "0", 16);
    const globalUnicast = first >= 0x2000 && first <= 0x3fff;
    const embedsV4 = first === 0x2002 || (first === 0x2001 && second === 0);
    const documentation = first === 0x2001 && second === 0x0db8;
    return !globalUnicast || embedsV4 || documentation;
  }
  return false;
}
