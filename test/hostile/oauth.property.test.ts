/**
 * The OAuth surface against hostile calls: `/oauth/token` and `/oauth/revoke` with junk
 * bodies, grant types, codes and credentials (a real app's client id among them) answer a
 * JSON 4xx and change nothing; `/api/v1/apps` stores at most one bounded app or changes
 * nothing; the consent page and its form never answer 5xx, never redirect anywhere the app
 * did not register, and without the CSRF cookie's token store nothing.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { REQUEST_FIELDS } from "../../src/http/oauth/request";
import { type RegisteredApp, registerApp } from "../support/oauth";
import { anyJson, headerJunk, PROTOTYPE_NAMES, type Raw } from "./arbitraries";
import {
  changes,
  checkAnswer,
  checkUnchanged,
  describeSent,
  failure,
  holds,
  PROPERTY_TIMEOUT_MS,
  rowCounts,
  send,
  sent,
} from "./harness";

const RUNS = {
  token: { seed: 0x5eed_0050, numRuns: 120 },
  apps: { seed: 0x5eed_0051, numRuns: 80 },
  consent: { seed: 0x5eed_0052, numRuns: 100 },
};

let app: RegisteredApp;
beforeAll(async () => {
  app = await registerApp({}, "https://registered.example/cb");
});

const text: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", " ", "null", "%zz", "a".repeat(3_000), "com.example.app://callback"),
  fc.constantFrom(...PROTOTYPE_NAMES),
  fc.string({ maxLength: 30 }),
  headerJunk,
);
/** A parameter's value: junk, or the real app's client id (its secret is never generated). */
const paramValue = (name: string): fc.Arbitrary<string> =>
  name === "client_id"
    ? fc.oneof(
        fc.constant("").map(() => app.client_id),
        text,
      )
    : text;

const NAMES = [
  "grant_type",
  "code",
  "client_id",
  "client_secret",
  "redirect_uri",
  "code_verifier",
  "scope",
  "token",
  "__proto__",
];
const params = fc
  .array(
    fc.constantFrom(...NAMES).chain((name) => paramValue(name).map((v) => [name, v] as const)),
    { maxLength: 7 },
  )
  .map((pairs) => [
    ...pairs,
    ...(pairs.some(([k]) => k === "grant_type")
      ? []
      : [["grant_type", "authorization_code"] as const]),
  ]);

const bodyOf = fc.oneof(
  params.map((p) => ({
    type: "application/x-www-form-urlencoded",
    body: new URLSearchParams(p.map(([k, v]) => [k, v])).toString(),
  })),
  params.map((p) => ({ type: "application/json", body: JSON.stringify(Object.fromEntries(p)) })),
  params.map((p) => ({ type: undefined, body: JSON.stringify(Object.fromEntries(p)) })),
  anyJson.map((json: Raw) => ({ type: "application/json", body: json.json })),
  fc.constantFrom("{", "a=%zz&&=", "\u0000", "x".repeat(20_000)).map((body) => ({
    type: undefined,
    body,
  })),
);
const basic = fc.option(
  fc.oneof(
    headerJunk.map((j) => `Basic ${j}`),
    fc.constantFrom("Basic", "Basic ====", `Basic ${btoa("a:b")}`, `Basic ${btoa("%zz:%")}`),
  ),
  { nil: undefined },
);

describe("OAuth, given hostile calls", () => {
  it("answers /oauth/token and /oauth/revoke with a JSON 4xx, changing nothing", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    const calls = fc
      .tuple(fc.constantFrom("/oauth/token", "/oauth/revoke"), bodyOf, basic)
      .map(([path, { type, body }, authorization]) =>
        sent({
          method: "POST",
          path,
          headers: {
            ...(type === undefined ? {} : { "content-type": type }),
            ...(authorization === undefined ? {} : { authorization }),
          },
          body,
        }),
      );
    const ran = await holds(RUNS.token, calls, async (call) => {
      const before = await rowCounts();
      const answer = await send(call);
      const what = describeSent(call);
      checkAnswer(what, answer);
      // Revoking an unknown token answers 200 {} (RFC 7009); nothing else may succeed.
      if (answer.status < 400 && !(call.path === "/oauth/revoke" && answer.text === "{}")) {
        throw failure(what, answer, "succeeded without credentials");
      }
      checkUnchanged(what, answer, changes(before, await rowCounts()));
    });
    expect(ran).toBeGreaterThanOrEqual(RUNS.token.numRuns);
  });

  it("registers a bounded app or refuses with a JSON 4xx, changing nothing", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    const field = fc.constantFrom(
      "client_name",
      "redirect_uris",
      "scopes",
      "website",
      "redirect_uris[]",
    );
    const registration = fc
      .array(fc.tuple(field, text), { maxLength: 6 })
      .map((pairs) => new URLSearchParams(pairs).toString());
    const calls = fc.oneof(
      registration.map((body) =>
        sent({
          method: "POST",
          path: "/api/v1/apps",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body,
        }),
      ),
      anyJson.map((json: Raw) =>
        sent({
          method: "POST",
          path: "/api/v1/apps",
          headers: { "content-type": "application/json" },
          body: json.json,
          bodyLabel: json.label,
        }),
      ),
    );
    const ran = await holds(RUNS.apps, calls, async (call) => {
      const before = await rowCounts("rows");
      const answer = await send(call);
      const what = describeSent(call);
      checkAnswer(what, answer);
      const diff = changes(before, await rowCounts("rows"), "rows");
      if (answer.status >= 400) return checkUnchanged(what, answer, diff);
      const registered = JSON.parse(answer.text) as { name: string; redirect_uris: string[] };
      if (registered.name.length > 200 || registered.redirect_uris.length > 16) {
        throw failure(what, answer, "stored an unbounded app");
      }
      if (diff.join() !== "oauth_apps: +1") throw failure(what, answer, `wrote ${diff.join()}`);
    });
    expect(ran).toBeGreaterThanOrEqual(RUNS.apps.numRuns);
  });

  it("never answers the consent page with a 5xx or a redirect the app did not register", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    const names = [...REQUEST_FIELDS, "csrf_token", "password", "decision"];
    const value = (name: string): fc.Arbitrary<string> =>
      name === "redirect_uri"
        ? fc.oneof(fc.constant("https://registered.example/cb"), text)
        : name === "response_type"
          ? fc.oneof(fc.constant("code"), text)
          : name === "decision"
            ? fc.constantFrom("approve", "deny", "", "x")
            : paramValue(name);
    const query = fc.array(
      fc.constantFrom(...names).chain((n) => value(n).map((v) => [n, v] as [string, string])),
      { maxLength: 9 },
    );
    const calls = fc
      .tuple(fc.constantFrom("GET", "POST"), query, fc.option(headerJunk, { nil: undefined }))
      .map(([method, pairs, cookie]) => {
        const encoded = new URLSearchParams(pairs).toString();
        return sent({
          method,
          path: method === "GET" ? `/oauth/authorize?${encoded}` : "/oauth/authorize",
          headers: {
            ...(method === "POST" ? { "content-type": "application/x-www-form-urlencoded" } : {}),
            ...(cookie === undefined ? {} : { cookie: `outpost_csrf=${cookie}` }),
          },
          body: method === "POST" ? encoded : undefined,
        });
      });
    const ran = await holds(RUNS.consent, calls, async (call) => {
      const before = await rowCounts("rows");
      const answer = await send(call);
      const what = describeSent(call);
      if (answer.status >= 500) throw failure(what, answer, "a server error");
      if (answer.status >= 400 && !answer.contentType.startsWith("text/html")) {
        throw failure(what, answer, "a refusal that is not a page");
      }
      if (answer.status >= 300 && answer.status < 400) {
        if (!answer.location.startsWith("https://registered.example/cb?")) {
          throw failure(what, answer, `redirected to ${answer.location}`);
        }
      }
      // No CSRF cookie that matches: a POST changes nothing, and a GET never does.
      checkUnchanged(what, answer, changes(before, await rowCounts("rows"), "rows"));
    });
    expect(ran).toBeGreaterThanOrEqual(RUNS.consent.numRuns);
  });
});
