/**
 * The consent page, used the way a browser uses it, with Node's fetch: GET the authorize URL
 * (keeping the cookies it sets), read the form's fields out of the HTML, POST them back
 * url-encoded with the password and the button pressed, the cookies, and the headers a
 * browser adds to a same-origin form submission. A client library never does this part: it
 * opens the URL in a browser and waits for the redirect. Also PKCE (RFC 7636) and the
 * authorize URL as a client builds it.
 */
import { createHash, randomBytes } from "node:crypto";

/** The query of `GET /oauth/authorize` (Mastodon's names). */
export interface AuthorizeParams {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly state?: string;
  /** S256 of a verifier (see `pkce`). */
  readonly codeChallenge?: string;
  readonly forceLogin?: boolean;
}

export function authorizeUrl(origin: string, params: AuthorizeParams): string {
  const query = new URLSearchParams({
    response_type: "code",
    client_id: params.clientId,
    redirect_uri: params.redirectUri,
    scope: params.scope,
  });
  if (params.state !== undefined) query.set("state", params.state);
  if (params.codeChallenge !== undefined) {
    query.set("code_challenge", params.codeChallenge);
    query.set("code_challenge_method", "S256");
  }
  if (params.forceLogin) query.set("force_login", "true");
  return `${origin}/oauth/authorize?${query}`;
}

/** A PKCE pair: a 43-character verifier and its S256 challenge, base64url(sha256(verifier)). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  return { verifier, challenge };
}

export const randomState = () => randomBytes(12).toString("base64url");

/** HTML entities as a server escapes attribute values and text. */
function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (_, entity: string) => {
    const e = entity.toLowerCase();
    if (e.startsWith("#x")) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith("#")) return String.fromCodePoint(Number(e.slice(1)));
    return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[e] ?? "";
  });
}

const ATTRIBUTE = /([^\s"'=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;

/** The start tags named `name` in `html`, as attribute maps (names lower-cased). */
function startTags(html: string, name: string): Map<string, string>[] {
  const tag = new RegExp(
    `<${name}((?:\\s+[^\\s"'=/>]+(?:\\s*=\\s*(?:"[^"]*"|'[^']*'|[^\\s"'>]+))?)*)\\s*/?>`,
    "gi",
  );
  return [...html.matchAll(tag)].map((m) => {
    const attributes = new Map<string, string>();
    for (const a of (m[1] ?? "").matchAll(ATTRIBUTE)) {
      const [, key = "", double, single, bare] = a;
      attributes.set(key.toLowerCase(), decode(double ?? single ?? bare ?? ""));
    }
    return attributes;
  });
}

/** A form of the page as a browser would submit it. */
export interface ConsentForm {
  /** Where it posts, resolved against the page's URL. */
  readonly action: string;
  /** The fields submitted whatever is pressed: hidden inputs, checked boxes, other values. */
  readonly fields: readonly (readonly [string, string])[];
  /** Whether it asks for the password (`<input type="password" name="password">`). */
  readonly asksPassword: boolean;
  /** The values of the `decision` buttons (`approve`, `deny`). */
  readonly decisions: readonly string[];
}

/** The first `method="post"` form of a page, or undefined. */
export function readForm(html: string, pageUrl: string): ConsentForm | undefined {
  for (const match of html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/gi)) {
    const [form] = startTags(match[0], "form");
    if (form?.get("method")?.toLowerCase() !== "post") continue;
    const fields: [string, string][] = [];
    let asksPassword = false;
    for (const input of startTags(match[0], "input")) {
      const name = input.get("name");
      const type = (input.get("type") ?? "text").toLowerCase();
      if (name === undefined || input.has("disabled")) continue;
      if (type === "password") asksPassword ||= name === "password";
      else if (type === "submit" || type === "button" || type === "image") continue;
      else if ((type === "checkbox" || type === "radio") && !input.has("checked")) continue;
      else fields.push([name, input.get("value") ?? (type === "checkbox" ? "on" : "")]);
    }
    const decisions = startTags(match[0], "button")
      .filter((b) => b.get("name") === "decision" && (b.get("type") ?? "submit") === "submit")
      .map((b) => b.get("value") ?? "");
    const action = new URL(form.get("action") ?? "", pageUrl).href;
    return { action, fields, asksPassword, decisions };
  }
  return undefined;
}

/** The text of the page's `role="alert"` element, tags stripped, or undefined. */
export function alertText(html: string): string | undefined {
  const match = /<([a-z][a-z0-9]*)\b[^>]*\brole\s*=\s*["']?alert["']?[^>]*>([\s\S]*?)<\/\1>/i.exec(
    html,
  );
  return match === null ? undefined : decode((match[2] ?? "").replace(/<[^>]*>/g, "")).trim();
}

/** The code an out-of-band page shows in `<code id="authorization-code">`. */
export function shownCode(html: string): string | undefined {
  const match = /<code\b[^>]*\bid\s*=\s*["']?authorization-code["']?[^>]*>([^<]*)<\/code>/i.exec(
    html,
  );
  return match === null ? undefined : decode(match[1] ?? "").trim();
}

/** A browser's cookie jar for one origin (the instance): names to values. */
export class Browser {
  readonly cookies = new Map<string, string>();

  /** A request with the jar's cookies, redirects not followed; the cookies set are kept. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("accept", "text/html,application/xhtml+xml");
    headers.set("user-agent", "Mozilla/5.0 (X11; Linux x86_64) outpost-interop");
    if (this.cookies.size > 0) {
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) this.#keep(line);
    return res;
  }

  #keep(line: string) {
    const [pair = "", ...attributes] = line.split(";");
    const eq = pair.indexOf("=");
    if (eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((a) => {
      const [key = "", v = ""] = a.split("=").map((s) => s.trim());
      if (key.toLowerCase() === "max-age") return Number(v) <= 0;
      if (key.toLowerCase() === "expires") return Date.parse(v) <= Date.now();
      return false;
    });
    if (expired) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }

  /** The cookie whose name is `name` or `__Host-<name>`. */
  cookie(name: string): string | undefined {
    return this.cookies.get(name) ?? this.cookies.get(`__Host-${name}`);
  }

  /** Whether a cookie whose name starts with `prefix` (or `__Host-<prefix>`) is held. */
  holds(prefix: string): boolean {
    return [...this.cookies.keys()].some(
      (k) => k.startsWith(prefix) || k.startsWith(`__Host-${prefix}`),
    );
  }
}

/** A page of the instance: its URL, status and HTML. */
export interface Page {
  readonly url: string;
  readonly status: number;
  readonly html: string;
  readonly form: ConsentForm | undefined;
}

export async function open(browser: Browser, url: string): Promise<Page> {
  const res = await browser.request(url);
  const html = await res.text();
  return { url, status: res.status, html, form: readForm(html, url) };
}

/** What submitting the consent form led to. */
export type Outcome =
  | { readonly kind: "redirect"; readonly status: number; readonly location: URL }
  | { readonly kind: "page"; readonly page: Page };

/**
 * Submits the page's form as a browser does when a button is pressed: its fields, the
 * password typed (when the form asks for one), the pressed button's `decision`, url-encoded,
 * with the jar's cookies and the headers of a same-origin form submission.
 */
export async function submit(
  browser: Browser,
  page: Page,
  { password, decision = "approve" }: { password?: string; decision?: string },
): Promise<Outcome> {
  const form = page.form;
  if (form === undefined) throw new Error(`no form on ${page.url} (${page.status}): ${page.html}`);
  if (!form.decisions.includes(decision)) {
    throw new Error(`the form has no "${decision}" button: ${form.decisions.join(", ")}`);
  }
  const body = new URLSearchParams(form.fields.map(([k, v]) => [k, v]));
  if (form.asksPassword) body.set("password", password ?? "");
  body.set("decision", decision);
  const res = await browser.request(form.action, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: new URL(page.url).origin,
      referer: page.url,
      "sec-fetch-site": "same-origin",
      "sec-fetch-mode": "navigate",
      "sec-fetch-dest": "document",
    },
    body,
  });
  const location = res.headers.get("location");
  if (res.status >= 300 && res.status < 400 && location !== null) {
    await res.body?.cancel();
    return { kind: "redirect", status: res.status, location: new URL(location, form.action) };
  }
  const html = await res.text();
  return {
    kind: "page",
    page: { url: form.action, status: res.status, html, form: readForm(html, form.action) },
  };
}

/**
 * The whole consent as a person gives it: opens the authorize URL, approves with the password
 * and returns the code, from the redirect (checking `state`) or from the out-of-band page.
 */
export async function consent(
  browser: Browser,
  url: string,
  password: string,
): Promise<{ code: string; page: Page; outcome: Outcome }> {
  const page = await open(browser, url);
  if (page.status !== 200) throw new Error(`GET ${url}: ${page.status} ${page.html}`);
  const outcome = await submit(browser, page, { password });
  const state = new URL(url).searchParams.get("state");
  if (outcome.kind === "redirect") {
    const code = outcome.location.searchParams.get("code");
    if (code === null) throw new Error(`redirected without a code: ${outcome.location}`);
    if (outcome.location.searchParams.get("state") !== state) {
      throw new Error(`the redirect's state is not ours: ${outcome.location}`);
    }
    return { code, page, outcome };
  }
  const code = shownCode(outcome.page.html);
  if (code === undefined || outcome.page.status !== 200) {
    throw new Error(`no code after consent: ${outcome.page.status} ${outcome.page.html}`);
  }
  return { code, page, outcome };
}
