/**
 * Verified profile links (`rel="me"`, as Mastodon verifies them): a field whose page links
 * back to the owner gets `verified_at` once the queue has checked it; a page without the
 * link, linking elsewhere, redirecting to a forbidden address, not HTML or too big does not.
 * A changed value drops the mark; the profile page shows it; the cron checks again.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { DEAD_LETTER_QUEUE } from "../src/federation/queue/consumer";
import { parseQueueMessage } from "../src/federation/queue/messages";
import worker from "../src/index";
import { checkLinkBack } from "../src/outbound/link-back";
import { findStoredFields, saveFieldChecks } from "../src/storage/owner-profile";
import { api, BROWSER, db, get, ownerAccountId, runCron, testConfig } from "./helpers";
import { eventually, ORIGIN, OWNER, received, serve } from "./support/remote";

const PROFILE_URL = `${ORIGIN}/@owner`;
const HOST = "links.test";
const at = (path: string) => `https://${HOST}/${path}`;
const page = (body: string) =>
  `<!doctype html><html><head><title>Ada</title></head><body><p>Hello</p>${body}</body></html>`;
const html = (url: string, body: string) => ({ url, contentType: "text/html", body: page(body) });

type Field = { name: string; value: string; verified_at: string | null };
type Account = { fields: Field[]; source: { fields: Field[] } };

async function patchFields(fields: { name: string; value: string }[]): Promise<Account> {
  const res = await api("/v1/accounts/update_credentials", {
    method: "PATCH",
    body: { fields_attributes: fields },
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Account;
}

async function credentials(): Promise<Account> {
  return (await (await api("/v1/accounts/verify_credentials")).json()) as Account;
}

/** Waits until the field named `name` is verified; the account as it then is. */
function verified(name: string): Promise<Account> {
  return eventually(async () => {
    const account = await credentials();
    const field = account.fields.find((f) => f.name === name);
    return field?.verified_at ? account : undefined;
  });
}

const shown = (account: Account) =>
  Object.fromEntries(account.fields.map((f) => [f.name, f.verified_at]));

await serve(
  // Slow enough that the request has answered before the queue has checked it.
  { ...html(at("linked"), `<a rel="me" href="${OWNER}">me</a>`), delayMs: 1000 },
  html(at("plain"), `<a href="${OWNER}">me, without rel</a>`),
  html(at("elsewhere"), `<a rel="me" href="https://other.test/@ada">someone else</a>`),
  { url: at("forbidden"), status: 302, headers: { location: "https://10.0.0.1/ada" } },
  { url: at("moved"), status: 301, headers: { location: at("profile-url") } },
  html(at("profile-url"), `<link rel="Me authn" href="${PROFILE_URL.toUpperCase()}">`),
  {
    url: at("json"),
    contentType: "application/json",
    body: page(`<a rel="me" href="${OWNER}">me</a>`),
  },
  html(at("big"), `<a rel="me" href="${OWNER}">me</a>${"<!-- padding -->".repeat(70_000)}`),
);

describe("verified profile links", () => {
  let first: string | null | undefined;

  it("verifies a page linking back with rel=me, after the queue ran, and no other", async () => {
    const answered = await patchFields([
      { name: "Linked", value: at("linked") },
      { name: "Plain", value: at("plain") },
      { name: "Elsewhere", value: at("elsewhere") },
      { name: "Forbidden", value: at("forbidden") },
    ]);
    // Checked through the queue, never in the request.
    expect(answered.fields.every((f) => f.verified_at === null)).toBe(true);
    const account = await verified("Linked");
    first = account.fields[0]?.verified_at;
    expect(Date.parse(first ?? "")).not.toBeNaN();
    expect(shown(account)).toEqual({
      Linked: first,
      Plain: null,
      Elsewhere: null,
      Forbidden: null,
    });
    expect(account.source.fields[0]?.verified_at).toBe(first);
    // The Account of the owner by id says the same.
    const byId = (await (await api(`/v1/accounts/${await ownerAccountId()}`)).json()) as Account;
    expect(shown(byId)).toEqual(shown(account));
    // The forbidden address was never asked; the pages were asked for HTML.
    expect(await received("10.0.0.1")).toEqual([]);
    const asked = await received(HOST, "GET");
    expect(asked.find((r) => r.url === at("linked"))?.headers.accept).toBe("text/html");
  });

  it("keeps a value's mark, checks new ones (not HTML or too big: not verified), and shows it", async () => {
    await patchFields([
      { name: "Linked", value: at("linked") },
      { name: "Moved", value: at("moved") },
      { name: "Json", value: at("json") },
      { name: "Big", value: at("big") },
    ]);
    // A copy of the page kept before the check is purged when the mark changes.
    expect((await get("/@owner", BROWSER)).status).toBe(200);
    const account = await verified("Moved");
    const { Linked, Moved, Json, Big } = shown(account);
    expect({ Linked, Json, Big }).toEqual({ Linked: first, Json: null, Big: null });
    expect(Moved).not.toBeNull();

    const body = await (await get("/@owner", BROWSER)).text();
    const day = Moved?.slice(0, 10);
    expect(body).toContain(
      `<dt class="verified">Moved</dt><dd class="verified" title="Verified link: checked ${day}">`,
    );
    expect(body).toContain("<dt>Json</dt><dd>");
    // The actor does not carry verification, as Mastodon's does not.
    const actor = (await (await get("/users/owner", "application/activity+json")).json()) as {
      attachment: Record<string, unknown>[];
    };
    expect(actor.attachment[1]).toEqual({
      type: "PropertyValue",
      name: "Moved",
      value: expect.stringContaining('rel="me'),
    });
  });

  it("drops the mark when the value changes", async () => {
    const account = await patchFields([
      { name: "Linked", value: at("linked?changed") },
      { name: "Moved", value: at("moved") },
    ]);
    expect(account.fields[0]?.verified_at).toBeNull();
    expect(account.fields[1]?.verified_at).not.toBeNull();
    const body = await (await get("/@owner", BROWSER)).text();
    expect(body).toContain("<dt>Linked</dt>");
  });

  it("checks again, from the cron, a link not checked for a day", async () => {
    await serve(html(at("later"), "<p>Nothing yet</p>"));
    await patchFields([{ name: "Later", value: at("later") }]);
    const checked = await eventually(async () => {
      const fields = await findStoredFields(db());
      return fields?.[0]?.checkedAt === undefined ? undefined : fields;
    });
    expect(checked[0]?.verifiedAt).toBeUndefined();
    await serve(html(at("later"), `<a rel="me" href="${OWNER}">me</a>`));
    // Checked two days ago, as far as the row knows.
    const old = new Date(Date.now() - 2 * 24 * 3600_000).toISOString();
    const next = checked.map((f) => ({ ...f, checkedAt: old }));
    expect(await saveFieldChecks(db(), { seen: checked, next })).toBe(true);
    await runCron();
    await verified("Later");
    // A check only writes over the fields it read: a change made meanwhile wins.
    expect(await saveFieldChecks(db(), { seen: checked, next })).toBe(false);
  });
});

describe("a page's link back", () => {
  it("says why a page does not verify", async () => {
    const ctx = { config: testConfig() };
    const targets = [OWNER, PROFILE_URL];
    const check = (path: string) => checkLinkBack(ctx, { url: at(path), targets });
    expect(await check("moved")).toEqual({ ok: true, linksBack: true });
    expect(await check("plain")).toEqual({ ok: true, linksBack: false });
    expect(await check("elsewhere")).toEqual({ ok: true, linksBack: false });
    expect(await check("forbidden")).toEqual({ ok: false, reason: "refused" });
    expect(await check("json")).toEqual({ ok: false, reason: "notHtml" });
    expect(await check("big")).toEqual({ ok: false, reason: "tooLarge" });
    expect(await check("missing")).toEqual({ ok: false, reason: "httpError", status: 404 });
    const slow = await checkLinkBack(ctx, { url: at("linked"), targets }, { timeoutMs: 100 });
    expect(slow).toEqual({ ok: false, reason: "unreachable" });
  });
});

describe("the verifyLinks message", () => {
  it("is versioned, and recorded without a retry when it reaches the dead-letter queue", async () => {
    expect(parseQueueMessage({ v: 1, type: "verifyLinks" })).toEqual({
      ok: true,
      message: { v: 1, type: "verifyLinks" },
    });
    expect(parseQueueMessage({ v: 2, type: "verifyLinks" })).toMatchObject({ ok: false });
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const batch = createMessageBatch<unknown>(DEAD_LETTER_QUEUE, [
      { id: "d1", timestamp: new Date(), attempts: 4, body: { v: 1, type: "verifyLinks" } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["d1"]);
    expect(error.mock.calls.join(" ")).toContain("the profile links");
    error.mockRestore();
  });
});
