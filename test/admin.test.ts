/**
 * The dashboard answers no one but the signed-in owner: every route (read from the app, so
 * that a route added later is checked) refuses a request without the dashboard's session,
 * every form refuses a missing or wrong CSRF token and does nothing; signing in takes the
 * owner's password and its attempts limit; signing out ends the session. Every page has its
 * strict CSP. (The hosts and the metrics: `admin-hosts.test.ts`, `admin-metrics.test.ts`.)
 */
import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { Recorder } from "../src/metrics/recorder";
import { api, OWNER, request, seedNote } from "./helpers";
import {
  type Browser,
  csrfCookie,
  csrfOf,
  get,
  post,
  signedInBrowser,
  signInWith,
} from "./support/admin";
import { Jar, PASSWORD } from "./support/oauth";

/** What anyone may reach: the sign-in form. */
const PUBLIC = ["GET /admin/sign-in", "POST /admin/sign-in"];

const routes = [
  ...new Set(
    createApp()
      .routes.filter((r) => r.method !== "ALL" && r.path.startsWith("/admin"))
      .map((r) => `${r.method} ${r.path.replace(/(.)\/$/, "$1")}`),
  ),
];
const guarded = routes.filter((r) => !PUBLIC.includes(r));
const forms = guarded.filter((r) => r.startsWith("POST "));

const call = (route: string, headers: Record<string, string> = {}) => {
  const [method = "GET", path = "/"] = route.split(" ");
  return request(path.replaceAll(/:\w+/g, "1"), {
    method,
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: method === "GET" ? undefined : "csrf_token=x&host=example.com",
  });
};

describe("every dashboard route", () => {
  it("is found", () => {
    expect(routes).toEqual(
      expect.arrayContaining([
        "GET /admin",
        "GET /admin/hosts",
        "POST /admin/hosts/retry",
        "POST /admin/hosts/forget",
        "GET /admin/hosts/block",
        "POST /admin/hosts/block",
        "GET /admin/posts",
        "GET /admin/posts/:id",
        "GET /admin/followers",
        "POST /admin/sign-out",
        ...PUBLIC,
      ]),
    );
  });

  it.each(guarded)("%s refuses a request without the session", async (route) => {
    const res = await call(route);
    if (route.startsWith("GET ")) {
      expect(res.status).toBe(303);
      expect(res.headers.get("Location")).toBe("/admin/sign-in");
    } else {
      expect(res.status).toBe(401);
    }
    expect(await res.text()).not.toMatch(/<table|<svg/);
    expect(res.headers.get("Content-Security-Policy")).toMatch(/default-src 'none'/);
  });

  it("refuses the consent page's cookie (SameSite=Lax) and a session that is not live", async () => {
    const browser = await signedInBrowser("10.70.0.1");
    const lax = [...browser.jar.cookies].filter(([name]) => name.endsWith("outpost_session"));
    expect(lax).toHaveLength(1);
    const cookie = lax.map(([k, v]) => `${k}=${v}`).join("; ");
    for (const route of guarded.filter((r) => r.startsWith("GET "))) {
      expect((await call(route, { Cookie: cookie })).status, route).toBe(303);
    }
    const forged = `__Host-outpost_admin=${"a".repeat(43)}`;
    expect((await call("GET /admin", { Cookie: forged })).status).toBe(303);
  });
});

describe("every form", () => {
  let browser: Browser;
  const fields = { host: "csrf.admin.test" };

  it.each(forms)(
    "%s refuses a missing, wrong or cross-site token (403) and does nothing",
    async (route) => {
      browser ??= await signedInBrowser("10.70.1.1");
      const path = route.slice("POST ".length);
      const tries = [
        await post(browser, path, { fields, csrf: null }),
        await post(browser, path, { fields, csrf: "B".repeat(43) }),
        await post(browser, path, { fields, origin: "https://elsewhere.example" }),
      ];
      for (const res of tries) {
        expect(res.status).toBe(403);
        expect(await res.text()).toMatch(/Nothing was done/);
      }
      // Still signed in; the host never blocked, its object never made.
      expect((await get(browser, "/admin")).status).toBe(200);
      const blocked = (await (await api("/v1/domain_blocks")).json()) as string[];
      expect(blocked).not.toContain("csrf.admin.test");
      const made = (await listDurableObjectIds(env.HOST_STATE)).map((id) => id.toString());
      expect(made).not.toContain(env.HOST_STATE.idFromName("csrf.admin.test").toString());
    },
  );

  it("refuses a body that is not a form (403)", async () => {
    browser ??= await signedInBrowser("10.70.1.1");
    const res = await request("/admin/hosts/block", {
      method: "POST",
      headers: { "Content-Type": "application/json", Cookie: browser.jar.header() },
      body: JSON.stringify({ csrf_token: csrfCookie(browser), host: "json.admin.test" }),
    });
    expect(res.status).toBe(403);
  });
});

describe("signing in", () => {
  it("takes the owner's password: a session cookie, SameSite=Strict, HttpOnly, Secure", async () => {
    const browser = { jar: new Jar(), address: "10.70.2.1" };
    const res = await signInWith(browser, PASSWORD);
    expect(res.status).toBe(303);
    const cookies = res.headers.getSetCookie().join("\n");
    expect(cookies).toMatch(
      /__Host-outpost_admin=[\w-]{43}; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Strict/,
    );
    expect(cookies).toMatch(/__Host-outpost_session=.*SameSite=Lax/);
    const page = await get(browser, "/admin");
    expect(page.status).toBe(200);
    // The sign-in page, signed in, leads to the dashboard.
    expect((await get(browser, "/admin/sign-in")).headers.get("Location")).toBe("/admin");
  });

  it("refuses a wrong password (401, no session), then counts attempts per address (429)", async () => {
    const browser = { jar: new Jar(), address: "10.70.2.2" };
    for (let i = 0; i < 5; i++) {
      const res = await signInWith(browser, "not the password at all");
      expect(res.status).toBe(401);
      expect(await res.text()).toMatch(/role="alert">That password is not right/);
      expect(res.headers.getSetCookie().join()).not.toContain("outpost_admin");
    }
    const limited = await signInWith(browser, PASSWORD);
    expect(limited.status).toBe(429);
    expect(limited.headers.getSetCookie().join()).not.toContain("outpost_admin");
    expect((await get(browser, "/admin")).status).toBe(303);
    // Another address is not held up.
    await signedInBrowser("10.70.2.3");
  });

  it("needs the form's CSRF token too", async () => {
    const browser = { jar: new Jar(), address: "10.70.2.4" };
    const res = await post(browser, "/admin/sign-in", {
      fields: { password: PASSWORD },
      csrf: null,
    });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie().join()).not.toContain("outpost_admin");
  });
});

describe("signing out", () => {
  it("deletes the session: both cookies stop working, in this browser and a copy of it", async () => {
    const browser = await signedInBrowser("10.70.3.1");
    const copy = { jar: new Jar(), address: "10.70.3.2" };
    for (const [k, v] of browser.jar.cookies) copy.jar.cookies.set(k, v);
    const res = await post(browser, "/admin/sign-out");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/admin/sign-in");
    expect(res.headers.getSetCookie().join()).toMatch(/__Host-outpost_admin=; Max-Age=0/);
    expect((await get(browser, "/admin")).status).toBe(303);
    // The copy kept the cookies, but the session behind them is gone.
    expect((await get(copy, "/admin")).status).toBe(303);
    const consent = await get(copy, "/oauth/authorize?response_type=code&client_id=x");
    expect(consent.status).not.toBe(302);
  });
});

/**
 * A busy month in the instance's buckets: every hour of 30 days, then every five minutes of
 * the last day, deliveries of each outcome, latencies, inbox answers and backlog samples.
 */
async function busyMonth(): Promise<void> {
  const global = env.METRICS.get(env.METRICS.idFromName("global"));
  const now = Date.now();
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const times = [
    ...Array.from({ length: 30 * 24 }, (_, i) => now - (30 * 24 - i) * 3_600_000),
    ...Array.from({ length: 288 }, (_, i) => now - (288 - i) * 300_000),
  ];
  for (const at of times) {
    const r = new Recorder();
    for (const result of ["delivered", "retry", "hostFailure", "parked", "gone"]) {
      r.inc("activitypub_deliveries_total", { result }, random(40));
    }
    for (let i = 0; i < 5; i++)
      r.observe("activitypub_delivery_duration_seconds", random(300) / 100);
    for (const result of ["accepted", "duplicate", "401", "429"]) {
      r.inc("activitypub_inbox_activities_total", { type: "Create", result }, random(20));
    }
    await global.add(r.entries(), { at });
  }
}

describe("the pages", () => {
  it("each answer with a strict CSP (style by hash, forms to self, no script), small", {
    timeout: 30_000,
  }, async () => {
    const browser = await signedInBrowser("10.70.4.1");
    await busyMonth();
    await seedNote({ attributedTo: OWNER, content: "<p>a post for the dashboard</p>" });
    const list = await get(browser, "/admin/posts");
    const postPath = (await list.clone().text()).match(/href="(\/admin\/posts\/\d+)"/)?.[1];
    expect(postPath).toBeDefined();
    const pages = [
      "/admin?window=hour",
      "/admin",
      "/admin?window=month",
      "/admin/hosts",
      "/admin/posts",
      postPath ?? "",
      "/admin/followers",
    ];
    for (const path of pages) {
      const res = await get(browser, path);
      expect(res.status, path).toBe(200);
      const csp = res.headers.get("Content-Security-Policy") ?? "";
      expect(csp).toMatch(
        /^default-src 'none'; style-src 'sha256-[\w+/=]+'; form-action 'self'; frame-ancestors 'none'/,
      );
      expect(csp).not.toMatch(/script|unsafe/);
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      const html = await res.text();
      expect(html).toMatch(/^<!doctype html>/);
      // The CSP names the page's own style sheet by its hash.
      const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? "";
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(style));
      expect(csp).toContain(`'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`);
      expect(html).not.toMatch(/<script|style="/);
      expect(csrfOf(html)).toBe(csrfCookie(browser));
      const bytes = new TextEncoder().encode(html).length;
      console.log(`${path}: ${bytes} bytes`);
      expect(bytes, path).toBeLessThan(64 * 1024);
    }
    expect((await get(browser, "/admin/posts/123")).status).toBe(404);
  });
});
