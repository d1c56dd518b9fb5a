/**
 * The owner's dashboard in a real browser (Debian's Chromium, headless, driven by
 * puppeteer-core), used as a person uses it, against a real delivery run: two peers follow
 * the owner, one of them goes down, the owner posts. Sign in with the password, see the
 * charts drawn from those deliveries and the failing host backing off or open, open a post's
 * delivery page, bring the host back and press "Retry now" on it, see it drain, sign out.
 * The instance runs with DEV_RETRY_BASE_MS=500 (setup.ts). Skipped when Chromium is missing,
 * except in CI, where `.ci/run` installs it.
 */
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, skipWithoutChromium } from "./chromium";
import { api, eventually, followOwner, origin } from "./outpost";
import { Peer } from "./peer";

const instance = globalThis.outpostUnderTest;
if (instance === undefined) throw new Error("test/interop/setup.ts starts the instance");
const { password } = instance;

const skip = skipWithoutChromium("admin-browser.test.ts");

/** The text of every element matching `selector`, in order. */
const texts = (page: Page, selector: string) =>
  page.$$eval(selector, (all) =>
    all.map((e) => (e as unknown as { textContent: string | null }).textContent?.trim() ?? ""),
  );

/** An attribute of the first element matching `selector`, or null. */
const attribute = (page: Page, selector: string, name: string) =>
  page
    .$eval(
      selector,
      (e, n) => (e as unknown as { getAttribute(n: string): string | null }).getAttribute(n),
      name,
    )
    .catch(() => null);

/** With ADMIN_SCREENSHOTS set to a folder, a picture of the page there (to look at). */
async function screenshot(page: Page, name: string) {
  const folder = process.env.ADMIN_SCREENSHOTS;
  if (folder) await page.screenshot({ path: `${folder}/admin-${name}.png`, fullPage: true });
}

/** Clicks what leads to another page, and waits for it. */
async function follow(page: Page, selector: string) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response;
}

describe.skipIf(skip)("the dashboard in Chromium", () => {
  let browser: Browser;
  let page: Page;
  let healthy: Peer;
  let failing: Peer;
  let statusId: string;
  const violations: string[] = [];

  beforeAll(async () => {
    [browser, healthy, failing] = await Promise.all([
      launchChromium(),
      Peer.start({ actors: [{ username: "ana" }] }),
      Peer.start({ actors: [{ username: "kim" }] }),
    ]);
    await followOwner(healthy, "ana");
    await followOwner(failing, "kim");
    // A real run: the healthy peer takes the posts; the failing one refuses connections, its
    // object backs off (half a second doubling) and opens its circuit, parking what it holds.
    await failing.down();
    for (const text of ["first, for the charts", "second, for the charts"]) {
      statusId = (await api<{ id: string }>("/api/v1/statuses", { body: { status: text } })).id;
    }
    await eventually(
      async () => {
        const { activities } = await api(`/api/v1/statuses/${statusId}/deliveries`);
        const hosts = activities[0]?.hosts as { host: string; state: string }[];
        const at = (host: string) => hosts.find((h) => h.host === host)?.state;
        return at(healthy.host) === "delivered" && at(failing.host) === "parked";
      },
      { timeout: 60_000, what: "the failing host's deliveries to be parked" },
    );
    page = await (await browser.createBrowserContext()).newPage();
    page.on("console", (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text()))
        violations.push(message.text());
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([healthy?.close(), failing?.close()]);
  });

  it("asks for the password first, and signs in with it", async () => {
    const first = await page.goto(`${origin}/admin`);
    expect(first?.status()).toBe(200);
    expect(page.url()).toBe(`${origin}/admin/sign-in`);
    await page.type('input[type="password"][name="password"]', password);
    const signedIn = await follow(page, 'form.sign-in button[type="submit"]');
    expect(signedIn?.status()).toBe(200);
    expect(page.url()).toBe(`${origin}/admin`);
    const cookie = (await page.browserContext().cookies()).find((c) => c.name === "outpost_admin");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });
  });

  it("draws the charts from the deliveries just made", async () => {
    await page.goto(`${origin}/admin?window=hour`);
    const titles = await texts(page, "svg.chart > title");
    expect(titles).toEqual(
      expect.arrayContaining([
        "Deliveries per minute",
        "Delivery latency percentiles (seconds)",
        "Inbound activities per minute",
      ]),
    );
    // The deliveries chart: a line per outcome, the delivered and retried ones drawn upward.
    const legend = await texts(page, "svg.chart:first-of-type text[class^=f]");
    expect(legend).toEqual(["■ delivered", "■ retried", "■ parked", "■ failed"]);
    const paths = await page.$$eval("svg.chart:first-of-type path.line", (all) =>
      all.map((p) => (p as unknown as { getAttribute(n: string): string }).getAttribute("d")),
    );
    expect(paths[0]).toMatch(/l1 -\d+/);
    expect(paths[1]).toMatch(/l1 -\d+/);
    // Each chart is drawn: the browser laid the SVG out at a visible size.
    const box = await page.$eval("svg.chart", (e) => {
      const r = (
        e as unknown as { getBoundingClientRect(): { width: number; height: number } }
      ).getBoundingClientRect();
      return { width: r.width, height: r.height };
    });
    expect(box.width).toBeGreaterThan(300);
    expect(box.height).toBeGreaterThan(80);
    expect(await texts(page, "#plan-queue td:nth-child(2)")).not.toEqual(["0"]);
    await screenshot(page, "overview");
  });

  it("shows the failing host backing off or open, holding the posts", async () => {
    await page.goto(`${origin}/admin/hosts?sort=state`);
    const state = await attribute(page, `tr[id="host-${failing.host}"]`, "data-state");
    expect(["open", "backing-off", "unavailable"]).toContain(state);
    expect(await attribute(page, `tr[id="host-${healthy.host}"]`, "data-state")).toBe("healthy");
    const parked = await texts(page, `tr[id="host-${failing.host}"] td.parked`);
    expect(Number(parked[0])).toBeGreaterThanOrEqual(2);
    await screenshot(page, "hosts");
    await page.goto(`${origin}/admin/hosts?state=open`);
    const open = await page.$$eval("#hosts tbody tr", (all) => all.length);
    expect(open).toBeLessThanOrEqual(1);
  });

  it("opens a post's delivery page; retry now drains the host once it is back", async () => {
    await page.goto(`${origin}/admin/posts`);
    await follow(page, `a[href="/admin/posts/${statusId}"]`);
    expect(page.url()).toBe(`${origin}/admin/posts/${statusId}`);
    const row = (host: string) => `section[data-type="Create"] tr[data-host="${host}"]`;
    expect(await attribute(page, row(healthy.host), "data-state")).toBe("delivered");
    expect(await attribute(page, row(failing.host), "data-state")).toBe("parked");

    await screenshot(page, "post");
    await failing.up();
    const response = await follow(page, `${row(failing.host)} button[type="submit"]`);
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(`${origin}/admin/posts/${statusId}`);
    await eventually(
      async () => {
        await page.reload();
        return (await attribute(page, row(failing.host), "data-state")) === "delivered";
      },
      { timeout: 30_000, what: "the retried host to be delivered" },
    );
    expect(failing.inbox("Create").length).toBeGreaterThanOrEqual(2);
    await page.goto(`${origin}/admin/hosts`);
    expect(await attribute(page, `tr[id="host-${failing.host}"]`, "data-state")).toBe("healthy");
  });

  it("signs out: the dashboard asks for the password again", async () => {
    await page.goto(`${origin}/admin/followers`);
    expect(await texts(page, "#followers td:first-child")).toEqual(
      expect.arrayContaining([healthy.host, failing.host].map((h) => expect.stringContaining(h))),
    );
    await follow(page, 'header form[action="/admin/sign-out"] button');
    expect(page.url()).toBe(`${origin}/admin/sign-in`);
    await page.goto(`${origin}/admin/hosts`);
    expect(page.url()).toBe(`${origin}/admin/sign-in`);
    expect(violations).toEqual([]);
  });
});
