/**
 * The owner's browser on the dashboard, inside workerd: its cookie jar, signing in with the
 * password (the sign-in form's CSRF token and cookie as a browser keeps them), and GETs and
 * form POSTs as its pages make them.
 */
import { expect } from "vitest";
import { ORIGIN, request } from "../helpers";
import { Jar, PASSWORD } from "./oauth";

/** The CSRF token of a page's forms. */
export function csrfOf(html: string): string {
  const token = html.match(/name="csrf_token" value="([^"]+)"/)?.[1];
  if (token === undefined) throw new Error("no CSRF token on the page");
  return token;
}

export interface Browser {
  readonly jar: Jar;
  /** The client address, so that each test has its own password attempts. */
  readonly address: string;
}

export function get(browser: Browser, path: string): Promise<Response> {
  return request(path, {
    headers: { Cookie: browser.jar.header(), "CF-Connecting-IP": browser.address },
  });
}

/** A form POST as the page sends it; `csrf` the token (the page's by default), null for none. */
export async function post(
  browser: Browser,
  path: string,
  form: { fields?: Record<string, string>; csrf?: string | null; origin?: string } = {},
): Promise<Response> {
  const fields = new URLSearchParams(form.fields);
  if (form.csrf !== null) {
    fields.set("csrf_token", form.csrf ?? csrfCookie(browser));
  }
  const res = await request(path, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Cookie: browser.jar.header(),
      "CF-Connecting-IP": browser.address,
      Origin: form.origin ?? ORIGIN,
    },
    body: fields.toString(),
  });
  browser.jar.take(res);
  return res;
}

/** Opens the sign-in page (its CSRF cookie kept) and posts `password`; the POST's answer. */
export async function signInWith(browser: Browser, password: string): Promise<Response> {
  const page = await get(browser, "/admin/sign-in");
  expect(page.status).toBe(200);
  browser.jar.take(page);
  const csrf = csrfOf(await page.text());
  return post(browser, "/admin/sign-in", { fields: { password }, csrf });
}

/** A browser signed in to the dashboard. */
export async function signedInBrowser(address: string): Promise<Browser> {
  const browser = { jar: new Jar(), address };
  const res = await signInWith(browser, PASSWORD);
  expect(res.status, "signing in").toBe(303);
  expect(res.headers.get("Location")).toBe("/admin");
  return browser;
}

/** The token of the browser's CSRF cookie (what its pages' forms carry). */
export function csrfCookie(browser: Browser): string {
  return browser.jar.cookies.get("__Host-outpost_csrf") ?? "";
}

/** A row of the hosts table: its state, and its cells' text. */
export interface HostRow {
  readonly state: string;
  readonly cells: string[];
}

/** The hosts table's rows (`/admin/hosts` with `query`), by host. */
export async function hostRows(browser: Browser, query = ""): Promise<Map<string, HostRow>> {
  const res = await get(browser, `/admin/hosts${query}`);
  expect(res.status).toBe(200);
  const html = await res.text();
  const rows = new Map<string, HostRow>();
  for (const m of html.matchAll(/<tr id="host-([^"]+)" data-state="([^"]+)">(.*?)<\/tr>/g)) {
    const cells = [...(m[3] ?? "").matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) =>
      (c[1] ?? "").replace(/<[^>]+>/g, ""),
    );
    rows.set(m[1] ?? "", { state: m[2] ?? "", cells });
  }
  return rows;
}
