/**
 * The public face in a real browser (Debian's Chromium, headless, driven by puppeteer-core)
 * against `wrangler dev` (issue 17): the owner uploads an avatar and posts a picture through
 * the API; a visitor opens the profile and the post and both pictures load, under the pages'
 * CSP. Then the visitor presses Follow, types their handle on a server of their own (a small
 * server on loopback with WebFinger and an `/authorize_interaction` page), and lands on that
 * page asked to follow the owner. Skipped when Chromium is missing, except in CI.
 */
import { createServer, type Server } from "node:http";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, skipWithoutChromium } from "./chromium";
import { api, origin, ownerId } from "./outpost";

const instance = globalThis.outpostUnderTest;
if (instance === undefined) throw new Error("test/interop/setup.ts starts the instance");
const { token } = instance;

const skip = skipWithoutChromium("public-browser.test.ts");

/** A real PNG, 3 × 2 red pixels. */
const PICTURE = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAIAAAASFvFNAAAAEElEQVR4nGM4IScHQQxwFgBBAAYZPEVBlgAAAABJRU5ErkJggg==",
  "base64",
);

/** A multipart request of the owner's API, answered as JSON. */
async function upload<T>(path: string, init: { method: string; form: FormData }): Promise<T> {
  const res = await fetch(`${origin}${path}`, {
    method: init.method,
    headers: { authorization: `Bearer ${token}` },
    body: init.form,
  });
  if (!res.ok) throw new Error(`${init.method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * The visitor's own server: WebFinger for `visitor@<its host>` naming its subscribe page, as
 * Mastodon's does, and that page, which shows what it was asked to follow.
 */
async function visitorServer() {
  const asked: string[] = [];
  let host = "";
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://${host}`);
    asked.push(url.pathname);
    if (url.pathname === "/.well-known/webfinger") {
      if (url.searchParams.get("resource") !== `acct:visitor@${host}`) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/jrd+json" }).end(
        JSON.stringify({
          subject: `acct:visitor@${host}`,
          links: [
            {
              rel: "http://ostatus.org/schema/1.0/subscribe",
              template: `http://${host}/authorize_interaction?uri={uri}`,
            },
          ],
        }),
      );
      return;
    }
    if (url.pathname === "/authorize_interaction") {
      const uri = url.searchParams.get("uri") ?? "";
      const shown = uri.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
      res
        .writeHead(200, { "content-type": "text/html" })
        .end(`<title>Follow?</title><p id="uri">${shown}</p>`);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no visitor port");
  host = `127.0.0.1:${address.port}`;
  return { server, asked, handle: `visitor@${host}`, origin: `http://${host}` };
}

/** The text of what a selector finds. */
const textOf = (page: Page, selector: string) =>
  page.$eval(selector, (e) => (e as unknown as { textContent: string | null }).textContent);

/** Whether the `<img>` a selector finds was fetched and decoded (what a person would see). */
const loaded = (page: Page, selector: string) =>
  page.$eval(selector, (img) => {
    const { complete, naturalWidth } = img as unknown as {
      complete: boolean;
      naturalWidth: number;
    };
    return complete && naturalWidth > 0;
  });

describe.skipIf(skip)("the public pages in Chromium", () => {
  let browser: Browser;
  let visitor: Awaited<ReturnType<typeof visitorServer>>;
  let postUrl: string;
  const blocked: string[] = [];

  beforeAll(async () => {
    [browser, visitor] = await Promise.all([launchChromium(), visitorServer()]);
    const avatar = new FormData();
    avatar.append("avatar", new Blob([PICTURE], { type: "image/png" }), "me.png");
    await upload("/api/v1/accounts/update_credentials", { method: "PATCH", form: avatar });
    const file = new FormData();
    file.append("file", new Blob([PICTURE], { type: "image/png" }), "red.png");
    file.append("description", "A small red rectangle");
    const media = await upload<{ id: string }>("/api/v2/media", { method: "POST", form: file });
    const status = await api<{ url: string }>("/api/v1/statuses", {
      body: { status: "A picture for the visitors #red", media_ids: [media.id] },
    });
    postUrl = status.url;
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => visitor?.server.close(resolve));
  });

  /** A fresh page that records what the CSP blocked (the console says so). */
  async function open(url: string): Promise<Page> {
    const page = await browser.newPage();
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    const response = await page.goto(url, { waitUntil: "load" });
    expect(response?.status()).toBe(200);
    return page;
  }

  it("shows the profile with its avatar and the post's picture, both loaded", async () => {
    const page = await open(`${origin}/@owner`);
    expect(await loaded(page, "header.profile img.avatar")).toBe(true);
    const picture = 'article img[alt="A small red rectangle"]';
    expect(await loaded(page, picture)).toBe(true);
    expect(await page.$eval(picture, (img) => img.getAttribute("width"))).toBe("3");
    expect(await page.$("script")).toBeNull();
    expect(blocked).toEqual([]);
    await page.close();
  });

  it("shows the post's page with its picture and its preview card", async () => {
    const page = await open(postUrl);
    expect(await loaded(page, 'article img[alt="A small red rectangle"]')).toBe(true);
    const card = await page.$eval('meta[property="og:image"]', (m) => m.getAttribute("content"));
    expect(card).toMatch(new RegExp(`^${origin}/media/`));
    // The post's hashtag leads to its page, which lists the post.
    await Promise.all([page.waitForNavigation(), page.click('a[href$="/tags/red"]')]);
    expect(await loaded(page, 'article img[alt="A small red rectangle"]')).toBe(true);
    expect(blocked).toEqual([]);
    await page.close();
  });

  it("Follow: the visitor types their handle and lands on their server's page to confirm", async () => {
    const page = await open(`${origin}/@owner`);
    await Promise.all([page.waitForNavigation(), page.click("a.button")]);
    expect(page.url()).toBe(`${origin}/follow`);
    await page.type('input[name="acct"]', visitor.handle);
    const [landed] = await Promise.all([
      page.waitForNavigation(),
      page.click('form.follow button[type="submit"]'),
    ]);
    expect(landed?.status()).toBe(200);
    expect(page.url()).toBe(
      `${visitor.origin}/authorize_interaction?uri=${encodeURIComponent(ownerId)}`,
    );
    expect(await textOf(page, "#uri")).toBe(ownerId);
    expect(visitor.asked).toContain("/.well-known/webfinger");
    expect(blocked).toEqual([]);
    await page.close();
  });

  it("Follow: a server that does not answer gives the form again, saying so", async () => {
    const page = await open(`${origin}/follow`);
    // A port nothing listens on: the connection is refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const address = closed.address();
    await new Promise((resolve) => closed.close(resolve));
    if (address === null || typeof address === "string") throw new Error("no port");
    await page.type('input[name="acct"]', `visitor@127.0.0.1:${address.port}`);
    const [response] = await Promise.all([
      page.waitForNavigation(),
      page.click('form.follow button[type="submit"]'),
    ]);
    expect(response?.status()).toBe(502);
    expect(new URL(page.url()).origin).toBe(origin);
    expect(await textOf(page, '[role="alert"]')).toMatch(/did not answer/);
    expect(
      await page.$eval('input[name="acct"]', (i) => (i as unknown as { value: string }).value),
    ).toBe(`visitor@127.0.0.1:${address.port}`);
    await page.close();
  });
});
