/**
 * The lists and filters routes against hostile input from the owner's token: every field of
 * any kind or size, in JSON or a form, at hostile ids and queries, gets an answer or a JSON
 * 4xx, never a 5xx.
 */
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { OWNER, seedFollow } from "../helpers";
import { json, seedActor, seedPost } from "../support/sorting";
import { anyJson, type Raw, raw, str } from "./arbitraries";

const seeded = { list: "1", filter: "1", keyword: "1", status: "1", account: "1", note: "1" };

beforeAll(async () => {
  const actor = await seedActor("hostile-sorting");
  await seedFollow(actor.row.id, OWNER);
  seeded.account = actor.apiId;
  seeded.note = (await seedPost(actor.row.id)).statusId;
  const post = (path: string, body: unknown) =>
    exports.default.fetch(`https://outpost.test/api${path}`, {
      method: "POST",
      headers: { Authorization: "Bearer test-owner-token", "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  seeded.list = (await json<{ id: string }>(post("/v1/lists", { title: "h" }))).id;
  const filter = await json<{ id: string; keywords: { id: string }[] }>(
    post("/v2/filters", { title: "h", context: ["home"], keywords_attributes: [{ keyword: "k" }] }),
  );
  seeded.filter = filter.id;
  seeded.keyword = filter.keywords[0]?.id ?? "1";
  seeded.status = (
    await json<{ id: string }>(
      post(`/v2/filters/${filter.id}/statuses`, { status_id: seeded.note }),
    )
  ).id;
});

const id = (known: () => string) =>
  fc.oneof(
    { arbitrary: fc.constant(null).map(known), weight: 3 },
    fc.constantFrom("0", "-1", "x", "1e3", "9".repeat(16), "9".repeat(40), "%zz", "constructor"),
  );

/** Routes that read a body, with hostile ids. */
const ROUTES = fc.oneof(
  fc.constantFrom({ method: "POST", path: "/v1/lists" }, { method: "POST", path: "/v2/filters" }),
  id(() => seeded.list).chain((i) =>
    fc.constantFrom(
      { method: "PUT", path: `/v1/lists/${i}` },
      { method: "POST", path: `/v1/lists/${i}/accounts` },
      { method: "DELETE", path: `/v1/lists/${i}/accounts` },
      { method: "GET", path: `/v1/lists/${i}/accounts?limit=0` },
      { method: "GET", path: `/v1/timelines/list/${i}?limit=81&max_id=%zz` },
    ),
  ),
  id(() => seeded.filter).chain((i) =>
    fc.constantFrom(
      { method: "PUT", path: `/v2/filters/${i}` },
      { method: "POST", path: `/v2/filters/${i}/keywords` },
      { method: "POST", path: `/v2/filters/${i}/statuses` },
    ),
  ),
  id(() => seeded.keyword).map((i) => ({ method: "PUT", path: `/v2/filter_keywords/${i}` })),
  id(() => seeded.account).map((i) => ({ method: "GET", path: `/v1/accounts/${i}/lists` })),
);

/** A value of a known field: plausible, of another kind, or too big. */
const field = (...plausible: string[]): fc.Arbitrary<Raw> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...plausible).map(str), weight: 3 },
    anyJson,
    fc.constantFrom("", " ", "x".repeat(300), "9".repeat(30)).map(str),
    fc.constant(null).map(() => raw(`[${'"x",'.repeat(300)}"x"]`, "301 strings")),
  );

const FIELDS: Record<string, fc.Arbitrary<Raw>> = {
  title: field("Friends", "t"),
  replies_policy: field("list", "followed", "none"),
  exclusive: field("true", "0"),
  account_ids: fc.oneof(
    fc.constant(null).map(() => raw(JSON.stringify([seeded.account]), "[the account]")),
    field("1", seeded.note),
  ),
  context: fc.oneof(
    fc.constantFrom('["home"]', '["home","public"]', '["thread","thread"]').map((j) => raw(j)),
    field("home"),
  ),
  filter_action: field("warn", "hide", "blur"),
  expires_in: field("60", "3600"),
  keywords_attributes: fc.oneof(
    fc
      .array(
        fc
          .record(
            {
              id: field("1"),
              keyword: field("cat"),
              whole_word: field("true"),
              _destroy: field("1"),
            },
            { requiredKeys: [] },
          )
          .map(
            (r) =>
              `{${Object.entries(r)
                .map(([k, v]) => `"${k}":${v.json}`)
                .join(",")}}`,
          ),
        { maxLength: 4 },
      )
      .map((items) => raw(`[${items.join(",")}]`)),
    anyJson,
  ),
  keyword: field("cat"),
  whole_word: field("false"),
  status_id: field("1", "x"),
};

const body = fc
  .subarray(Object.keys(FIELDS))
  .chain((names) =>
    fc.tuple(...names.map((n) => (FIELDS[n] as fc.Arbitrary<Raw>).map((v) => [n, v] as const))),
  )
  .chain((fields) =>
    fc.constantFrom("json", "form").map((encoding) => {
      if (encoding === "json") {
        return {
          type: "application/json",
          text: `{${fields.map(([k, v]) => `"${k}":${v.json}`).join(",")}}`,
        };
      }
      const pairs = fields.flatMap(([k, v]) => {
        const parsed: unknown = JSON.parse(v.json);
        if (Array.isArray(parsed)) return parsed.map((item) => [`${k}[]`, JSON.stringify(item)]);
        return [[k, typeof parsed === "string" ? parsed : v.json]];
      });
      return {
        type: "application/x-www-form-urlencoded",
        text: new URLSearchParams(pairs).toString(),
      };
    }),
  );

describe("lists and filters under hostile input", () => {
  it("answer or refuse with a JSON 4xx, never a 5xx", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(ROUTES, body, async (route, sent) => {
        const res = await exports.default.fetch(`https://outpost.test/api${route.path}`, {
          method: route.method,
          headers: { Authorization: "Bearer test-owner-token", "Content-Type": sent.type },
          body: route.method === "GET" ? undefined : sent.text,
        });
        const text = await res.text();
        expect(res.status, `${route.method} ${route.path} ${sent.text}: ${text}`).toBeLessThan(500);
        if (res.status >= 400) expect(JSON.parse(text)).toHaveProperty("error");
      }),
      { seed: 0x5eed_0150, numRuns: 300 },
    );
  });
});
