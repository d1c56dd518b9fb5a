/**
 * The checks setup and deploy end with, against a real HTTP server on loopback that answers
 * as Outpost does, or as a domain that is not pointed at it yet does.
 */
import { afterEach, describe, expect, it } from "vitest";
import { checkInstance, checkOnce, notLiveAdvice } from "../../scripts/lib/live-check.mjs";
import { fakeInstance, type InstanceMode, unresolvedFetch } from "./helpers";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function serve(mode: InstanceMode) {
  const instance = await fakeInstance({ username: "alice", mode });
  close = instance.close;
  return instance.origin;
}

describe("the live checks", () => {
  it("pass for an instance that answers WebFinger, NodeInfo and its actor", async () => {
    const origin = await serve("good");
    const host = new URL(origin).host;
    const result = await checkOnce({ origin, username: "alice" });
    expect(result).toEqual({
      ok: true,
      unreachable: false,
      checks: [
        { name: "WebFinger", ok: true, detail: `acct:alice@${host} → ${origin}/users/alice` },
        { name: "NodeInfo", ok: true, detail: "outpost 0.1.0" },
        { name: "Actor", ok: true, detail: `Person ${origin}/users/alice` },
      ],
    });
  });

  it("fail, with the status, where something else answers", async () => {
    const origin = await serve("missing");
    const result = await checkOnce({ origin, username: "alice" });
    expect(result.ok).toBe(false);
    expect(result.unreachable).toBe(false);
    expect(result.checks.map((c) => c.detail)).toEqual([
      "HTTP 404",
      "HTTP 404",
      "not tried (no actor from WebFinger)",
    ]);
  });

  it("fail for another account's WebFinger, a wrong actor, no NodeInfo link", async () => {
    const origin = await serve("good");
    const other = await checkOnce({ origin, username: "bob" });
    expect(other.checks[0]?.detail).toBe("HTTP 404");

    await close?.();
    const wrong = await serve("wrongActor");
    expect((await checkOnce({ origin: wrong, username: "alice" })).checks[2]).toEqual({
      name: "Actor",
      ok: false,
      detail: "answered, but not with this actor",
    });

    await close?.();
    const bare = await serve("noNodeInfo");
    expect((await checkOnce({ origin: bare, username: "alice" })).checks[1]).toEqual({
      name: "NodeInfo",
      ok: false,
      detail: "no NodeInfo 2.x link",
    });
  });

  it("say when nothing answers at all", async () => {
    const origin = await serve("good");
    await close?.();
    close = undefined;
    const result = await checkOnce({ origin, username: "alice" });
    expect(result.unreachable).toBe(true);
    expect(result.checks[0]?.detail).toMatch(/^no answer \(ECONNREFUSED\)$/);
  });

  it("are tried again before giving up", async () => {
    let attempts = 0;
    const result = await checkInstance({
      origin: "https://social.example",
      username: "alice",
      fetch: (...args) => {
        attempts++;
        return unresolvedFetch(...args);
      },
      attempts: 3,
      delayMs: 1,
      onRetry: () => {},
    });
    expect(result.ok).toBe(false);
    // WebFinger and NodeInfo, three times.
    expect(attempts).toBe(6);
  });
});

describe("what to do when the domain does not answer yet", () => {
  const unreachable = {
    ok: false,
    unreachable: true,
    checks: [{ name: "WebFinger", ok: false, detail: "no answer (ENOTFOUND)" }],
  };

  it("a custom domain: point it at the Worker, wait for DNS, the workers.dev caveat", () => {
    const advice = notLiveAdvice({
      origin: "https://social.example",
      username: "alice",
      worker: "outpost",
      workersDev: "https://outpost.alice.workers.dev",
      accountId: "acct",
      result: unreachable,
    });
    expect(advice).toContain("https://social.example does not answer yet.");
    expect(advice).toContain("Workers & Pages → outpost → Settings → Domains & Routes");
    expect(advice).toContain('"routes": [{ "pattern": "social.example", "custom_domain": true }]');
    expect(advice).toContain("npm run deploy");
    expect(advice).toContain("DNS propagation");
    expect(advice).toContain("other servers will only follow @alice@social.example once");
    expect(advice).toContain("the origin cannot change later without losing followers");
  });

  it("a workers.dev origin: only wait", () => {
    const advice = notLiveAdvice({
      origin: "https://outpost.alice.workers.dev",
      username: "alice",
      worker: "outpost",
      result: unreachable,
    });
    expect(advice).toContain("a new workers.dev subdomain can take a few minutes");
    expect(advice).not.toContain("Custom domain");
  });
});
