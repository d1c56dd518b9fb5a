/**
 * The Follow button's page (issue 17): a GET form asking the visitor's handle; their server's
 * WebFinger (a fake peer on the loopback fake fediverse) names its subscribe template, and
 * the visitor is sent there (303) with the owner's actor as `uri`, or to Mastodon's
 * `/authorize_interaction` when there is none. What goes wrong gives the form again with why:
 * 400 for what is not a handle, 404 for an account its server does not know, 502 for a
 * server that does not answer; never a 500.
 */
import { describe, expect, it } from "vitest";
import { BROWSER, get, OWNER, request } from "./helpers";
import { received, serve } from "./support/remote";

const SUBSCRIBE = "http://ostatus.org/schema/1.0/subscribe";
const URI = encodeURIComponent(OWNER);

/** The URL our WebFinger lookup asks for a handle. */
const webfingerUrl = (user: string, host: string) =>
  `https://${host}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${user}@${host}`)}`;

/** A server whose WebFinger knows `user`, with these links beside `self`. */
async function peer(user: string, host: string, links: Record<string, unknown>[] = []) {
  await serve({
    url: webfingerUrl(user, host),
    contentType: "application/jrd+json",
    body: {
      subject: `acct:${user}@${host}`,
      links: [
        { rel: "self", type: "application/activity+json", href: `https://${host}/users/${user}` },
        ...links,
      ],
    },
  });
}

let addresses = 0;

/**
 * The form sent from our own page (`Sec-Fetch-Site: same-origin`), each time from an address
 * of its own unless `address` is given, so that lookups are not held by the rate limit.
 */
const follow = (acct?: string, address = `198.18.0.${++addresses}`) =>
  request(acct === undefined ? "/follow" : `/follow?acct=${encodeURIComponent(acct)}`, {
    headers: { Accept: BROWSER, "Sec-Fetch-Site": "same-origin", "CF-Connecting-IP": address },
  });

/** A failed lookup: the form again, with its message. */
async function refused(acct: string, status: number, message: string): Promise<string> {
  const res = await follow(acct);
  const html = await res.text();
  expect(res.status, html).toBe(status);
  expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
  expect(html).toContain('<form class="follow" method="get" action="/follow">');
  expect(html).toMatch(/<p role="alert">[^<]+<\/p>/);
  expect(html).toContain(message);
  return html;
}

describe("the Follow page", () => {
  it("asks the visitor's handle in a GET form, its CSP letting it lead to their server", async () => {
    const res = await follow();
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<form class="follow" method="get" action="/follow">');
    expect(html).toMatch(/<input id="acct" name="acct" type="text" placeholder="you@your.server"/);
    expect(html).toContain('<meta name="robots" content="noindex">');
    expect(html).not.toContain("<script");
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    // Browsers hold the form's redirect to form-action too: the visitor's server is anywhere.
    expect(csp).toContain("form-action 'self' https:;");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src|unsafe-inline/);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });

  it("sends the visitor to their server's subscribe template with the owner as uri (303)", async () => {
    await peer("alice", "follow-a.test", [
      { rel: SUBSCRIBE, template: "https://follow-a.test/authorize_interaction?uri={uri}" },
    ]);
    for (const acct of [
      "alice@follow-a.test",
      " @alice@Follow-A.test ",
      "acct:alice@follow-a.test",
    ]) {
      const res = await follow(acct);
      expect(res.status, acct).toBe(303);
      expect(res.headers.get("Location")).toBe(
        `https://follow-a.test/authorize_interaction?uri=${URI}`,
      );
    }
    const asked = await received("follow-a.test", "GET");
    expect(asked.map((r) => r.url)).toContain(webfingerUrl("alice", "follow-a.test"));
  });

  it("fills the form in, and sends no one anywhere, unless the browser says it is from us", async () => {
    await peer("kim", "follow-k.test", [
      { rel: SUBSCRIBE, template: "https://follow-k.test/authorize_interaction?uri={uri}" },
    ]);
    const from = (site?: string) =>
      request("/follow?acct=kim@follow-k.test", {
        headers: { Accept: BROWSER, ...(site === undefined ? {} : { "Sec-Fetch-Site": site }) },
      });
    // Another site's link, a sibling site's, and a browser (or script) that does not say.
    for (const site of ["cross-site", "same-site", undefined]) {
      const res = await from(site);
      expect(res.status, site).toBe(200);
      expect(res.headers.has("Location"), site).toBe(false);
      const html = await res.text();
      expect(html).toContain('value="kim@follow-k.test"');
      expect(html).toContain("press Follow to go on to your server");
    }
    expect(await received("follow-k.test")).toEqual([]);
    // From our own form (same-origin), or typed by the visitor (none), it goes on.
    expect((await from("same-origin")).status).toBe(303);
    expect((await from("none")).status).toBe(303);
  });

  it("counts lookups per address: past 10 a minute, the form again (429), asking no one", async () => {
    await peer("lee", "follow-l.test", [
      { rel: SUBSCRIBE, template: "https://follow-l.test/authorize_interaction?uri={uri}" },
    ]);
    for (let i = 0; i < 10; i++) {
      expect((await follow("lee@follow-l.test", "198.19.7.7")).status).toBe(303);
    }
    expect(await received("follow-l.test")).toHaveLength(10);
    const limited = await follow("lee@follow-l.test", "198.19.7.7");
    expect(limited.status).toBe(429);
    const html = await limited.text();
    expect(html).toContain('<form class="follow" method="get" action="/follow">');
    expect(html).toContain('value="lee@follow-l.test"');
    expect(html).toMatch(/<p role="alert">Too many lookups from your address/);
    expect(await received("follow-l.test")).toHaveLength(10);
    // Another address is not held up.
    expect((await follow("lee@follow-l.test", "198.19.7.8")).status).toBe(303);
  });

  it("follows a WebFinger redirect only to a server it may ask (no private address)", async () => {
    const target = webfingerUrl("nia", "follow-n2.test");
    await serve(
      { url: webfingerUrl("nia", "follow-n.test"), status: 301, headers: { location: target } },
      {
        url: target,
        contentType: "application/jrd+json",
        body: {
          subject: "acct:nia@follow-n2.test",
          links: [{ rel: SUBSCRIBE, template: "https://follow-n2.test/follow?uri={uri}" }],
        },
      },
    );
    const res = await follow("nia@follow-n.test");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(`https://follow-n2.test/follow?uri=${URI}`);

    const inside = [
      ["169.254.169.254", "http://169.254.169.254/latest/meta-data/"],
      ["10.0.0.7", "https://10.0.0.7/.well-known/webfinger"],
      ["localhost", "https://localhost/admin"],
    ];
    for (const [i, [host, location]] of inside.entries()) {
      const from = `follow-o${i}.test`;
      await serve({
        url: webfingerUrl("oz", from),
        status: 302,
        headers: { location: location ?? "" },
      });
      await refused(`oz@${from}`, 400, `${from} is not a server this one can look up`);
      expect(await received(from)).toHaveLength(1);
      expect(await received(host ?? ""), location).toEqual([]);
    }
    // A redirect to itself is followed a few times, then given up (502).
    const loop = webfingerUrl("lo", "follow-p.test");
    await serve({ url: loop, status: 302, headers: { location: loop } });
    await refused("lo@follow-p.test", 502, "not as a fediverse server does");
    expect(await received("follow-p.test")).toHaveLength(4);
  });

  it("follows any template's shape (Misskey's), and falls back to authorize_interaction", async () => {
    await peer("bob", "follow-b.test", [
      { rel: SUBSCRIBE, template: "https://follow-b.test/authorize-follow?acct={uri}" },
    ]);
    expect((await follow("bob@follow-b.test")).headers.get("Location")).toBe(
      `https://follow-b.test/authorize-follow?acct=${URI}`,
    );
    await peer("carol", "follow-c.test");
    expect((await follow("carol@follow-c.test")).headers.get("Location")).toBe(
      `https://follow-c.test/authorize_interaction?uri=${URI}`,
    );
  });

  it("never sends anyone where a template says unless it is an https page", async () => {
    await peer("dave", "follow-d.test", [
      { rel: SUBSCRIBE, template: "javascript:alert(1)//{uri}" },
      { rel: SUBSCRIBE, template: "http://follow-d.test/plain?uri={uri}" },
      { rel: SUBSCRIBE, template: "https://10.0.0.1/inside?uri={uri}" },
      { rel: SUBSCRIBE, template: "https://follow-d.test/no-placeholder" },
      { rel: SUBSCRIBE, template: 42 },
    ]);
    const res = await follow("dave@follow-d.test");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(
      `https://follow-d.test/authorize_interaction?uri=${URI}`,
    );
  });

  it("gives the form again, 400, for what is not a handle, echoing it escaped", async () => {
    const html = await refused(`"><script>alert(1)</script>`, 400, "That is not a handle");
    expect(html).not.toContain("<script>");
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    await refused("just-a-name", 400, "That is not a handle");
    await refused("a@b@c", 400, "That is not a handle");
    await refused(`${"x".repeat(400)}@long.test`, 400, "That is not a handle");
    await refused("   ", 400, "Type your handle");
    await refused("someone@outpost.test", 400, "an address on this server");
  });

  it("refuses to look up a server on a private address (400)", async () => {
    await refused("eve@10.0.0.1", 400, "is not a server this one can look up");
    await refused("eve@localhost", 400, "is not a server this one can look up");
  });

  it("says so when the server does not know the account (404)", async () => {
    await refused("nobody@follow-e.test", 404, "follow-e.test does not know that account");
  });

  it("says so when the server does not answer, or not as a fediverse server (502)", async () => {
    await serve({ url: webfingerUrl("frank", "follow-f.test"), status: 503, body: "down" });
    await refused("frank@follow-f.test", 502, "follow-f.test did not answer");
    await serve({
      url: webfingerUrl("gina", "follow-g.test"),
      body: "<html>not json</html>",
      contentType: "text/html",
    });
    await refused("gina@follow-g.test", 502, "not as a fediverse server does");
    await serve({ url: webfingerUrl("hal", "follow-h.test"), body: { subject: "acct:hal" } });
    await refused("hal@follow-h.test", 502, "not as a fediverse server does");
  });

  it("gives up on a server that takes more than 5 s (502)", { timeout: 15_000 }, async () => {
    await serve({
      url: webfingerUrl("ivy", "follow-i.test"),
      body: { links: [] },
      delayMs: 6_000,
    });
    const started = Date.now();
    await refused("ivy@follow-i.test", 502, "follow-i.test did not answer");
    expect(Date.now() - started).toBeLessThan(5_900);
  });

  it("is linked from the profile page, which holds no form itself", async () => {
    const profile = await (await get("/@owner", BROWSER)).text();
    expect(profile).toContain(`<a class="button" href="/follow" rel="nofollow">Follow</a>`);
    expect(profile).not.toContain("<form");
  });
});
