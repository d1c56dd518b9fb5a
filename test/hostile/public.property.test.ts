/**
 * The public routes against hostile paths, queries and headers: WebFinger, host-meta,
 * NodeInfo, the actors and their collections with paging parameters, notes and their
 * pages, activities, media, with every `Accept` a client could send. None of them writes:
 * whatever is asked, the row counts stay as they were.
 */
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { seedFollow, seedNote } from "../helpers";
import { headerJunk } from "./arbitraries";
import {
  changes,
  checkAnswer,
  checkUnchanged,
  describeSent,
  holds,
  PROPERTY_TIMEOUT_MS,
  rowCounts,
  type Sent,
  send,
  sent,
} from "./harness";

const RUNS = { seed: 0x5eed_0030, numRuns: 320 };

/** Slugs of the notes seeded: public, unlisted, private, direct, deleted, pinned. */
let slugs: string[] = [];
const MEDIA_KEYS = ["avatars/me.png", "attachments/a b/ü.png", `deep/${"d/".repeat(200)}x.png`];

beforeAll(async () => {
  for (const path of ["/users/owner", "/actor"]) {
    const res = await exports.default.fetch(`https://outpost.test${path}`, {
      headers: { accept: "application/activity+json" },
    });
    await res.body?.cancel();
  }
  const seeds = [
    { visibility: "public" as const, content: "<p>a</p><select><style>x</style></select>" },
    { visibility: "unlisted" as const },
    { visibility: "private" as const },
    { visibility: "direct" as const },
    { deleted: true },
    { pinned: true, summary: "<b>cw</b>" },
  ];
  slugs = [];
  for (const seed of seeds) slugs.push((await seedNote(seed)).slug);
  await seedFollow("https://owner.test", "https://public.hostile.test/users/f");
  for (const key of MEDIA_KEYS) {
    await env.MEDIA.put(key, new Uint8Array([1, 2, 3]), {
      httpMetadata: { contentType: "image/png" },
    });
  }
});

/** A path segment: a name, an encoding trick, or anything, percent-encoded. */
const segment: fc.Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      "owner",
      "OWNER",
      "nobody",
      "actor",
      "",
      ".",
      "..",
      "%2e%2e",
      "%2F",
      "%zz",
      "%00",
      "%",
      "owner%00",
      "%C3%B3wner",
      "@owner",
      "constructor",
      "__proto__",
    ),
    weight: 3,
  },
  { arbitrary: fc.string({ maxLength: 16 }).map(encodeURIComponent), weight: 1 },
);

const number: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("0", "-1", "1e3", "0x10", "1.5", "NaN", "999999999999999", "9".repeat(40)),
  fc.nat().map(String),
  fc.stringMatching(/^[0-9]{1,30}$/),
);

const value: fc.Arbitrary<string> = fc.oneof(
  number,
  fc.constantFrom("true", "false", "", "%zz", "a".repeat(3_000)),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);

/** A query of the given parameter names (each maybe twice), with hostile values. */
const query = (...names: string[]): fc.Arbitrary<string> =>
  fc
    .array(fc.tuple(fc.constantFrom(...names, "x", "page[]"), value), { maxLength: 4 })
    .map((pairs) => (pairs.length === 0 ? "" : `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`));

const resource: fc.Arbitrary<string> = fc.oneof(
  fc
    .constantFrom(
      "acct:owner@outpost.test",
      "acct:OWNER@OUTPOST.TEST",
      "acct:actor@outpost.test",
      "acct:owner@other.test",
      "acct:@outpost.test",
      "acct:",
      "acct:owner@outpost.test:443",
      "acct:owner@@outpost.test",
      "owner@outpost.test",
      "@owner@outpost.test",
      "https://outpost.test/users/owner",
      "https://outpost.test/@owner",
      "http://outpost.test/users/owner",
      "https://outpost.test/actor",
      "mailto:owner@outpost.test",
      "javascript:alert(1)",
      "",
    )
    .map(encodeURIComponent),
  fc.constantFrom("%zz", "acct%3A%zz", `acct:${"a".repeat(5_000)}@outpost.test`),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
);

/** The media key part of `/media/<key>`: stored ones, junk, and keys longer than R2 takes. */
const mediaKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...MEDIA_KEYS).map((k) => k.split("/").map(encodeURIComponent).join("/")),
  fc.integer({ min: 1, max: 2_000 }).map((n) => "k".repeat(n)),
  fc.integer({ min: 1, max: 700 }).map((n) => "%C3%BC".repeat(n)),
  fc.constantFrom("..", "a/../../etc/passwd", "%2e%2e/%2e%2e/x", "%00", "a%2Fb", "%zz"),
  segment,
);

/** Every route, with hostile parts; `notes` are the seeded notes' slugs. */
const paths = (notes: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    fc
      .tuple(
        resource,
        fc.array(fc.constantFrom("self", "http://webfinger.net/rel/profile-page", "%zz"), {
          maxLength: 2,
        }),
      )
      .map(
        ([r, rels]) =>
          `/.well-known/webfinger?resource=${r}${rels.map((rel) => `&rel=${rel}`).join("")}`,
      ),
    fc.constantFrom(
      "/.well-known/webfinger",
      "/.well-known/webfinger?resource",
      "/.well-known/webfinger?rel=self",
    ),
    fc.constantFrom(
      "/.well-known/host-meta",
      "/.well-known/host-meta.json",
      "/.well-known/nodeinfo",
    ),
    segment.map((s) => `/.well-known/${s}`),
    fc.constantFrom("/nodeinfo/2.0", "/nodeinfo/2.1", "/nodeinfo/2.2", "/nodeinfo/"),
    fc
      .tuple(
        fc.constantFrom("/api/v1/instance", "/api/v2/instance", "/api/v1/custom_emojis"),
        fc.constantFrom("", "/peers", "/activity", "/rules", "/x"),
      )
      .map(([p, tail]) => `${p}${tail}`),
    fc.constantFrom(
      "/",
      "/actor",
      "/users/owner",
      "/@owner",
      "/avatars/missing.png",
      "/headers/missing.png",
    ),
    fc.tuple(fc.constantFrom("/users/", "/@"), segment).map(([p, s]) => `${p}${s}`),
    fc
      .tuple(
        segment,
        fc.constantFrom("outbox", "followers", "following", "featured", "inbox", "statuses"),
        query("page", "max_id", "min_id"),
      )
      .map(([s, c, q]) => `/users/${s}/${c}${q}`),
    fc
      .tuple(
        fc.constantFrom("outbox", "followers", "following", "featured"),
        query("page", "max_id", "min_id"),
      )
      .map(([c, q]) => `/users/owner/${c}${q}`),
    query("page", "max_id", "min_id").map((q) => `/actor/outbox${q}`),
    fc
      .tuple(
        fc.oneof(fc.constantFrom(...notes), number, segment),
        fc.constantFrom("", "/likes", "/shares", "/activity", "/replies"),
        fc.constantFrom(
          "/users/owner/statuses/",
          "/@owner/",
          "/users/nobody/statuses/",
          "/activities/",
        ),
      )
      .map(([id, tail, prefix]) => `${prefix}${id}${tail}`),
    mediaKey.map((k) => `/media/${k}`),
    fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join("/")}`),
  );

const ACCEPTS = [
  "application/activity+json",
  'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
  "application/ld+json",
  "application/json",
  "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  "*/*",
  "text/html;q=0, application/activity+json;q=0",
  "application/activity+json;q=0.1, text/html;q=0.9",
  "application/*",
  "application/activity+json;q=abc",
  'application/ld+json; profile="https://example.test"',
  ",,,;;;q=",
] as const;

const requests = (notes: readonly string[]): fc.Arbitrary<Sent> =>
  fc
    .record({
      method: fc.oneof(
        { arbitrary: fc.constant("GET"), weight: 12 },
        { arbitrary: fc.constantFrom("HEAD", "OPTIONS"), weight: 3 },
        { arbitrary: fc.constantFrom("POST", "PUT", "DELETE", "PATCH"), weight: 1 },
      ),
      path: paths(notes),
      headers: fc.record(
        {
          accept: fc.oneof({ arbitrary: fc.constantFrom(...ACCEPTS), weight: 4 }, headerJunk),
          origin: fc.constantFrom("https://evil.test", "null"),
          "if-none-match": fc.oneof(fc.constantFrom("*", '"x"', 'W/"x"', ""), headerJunk),
          "if-modified-since": headerJunk,
          "if-match": headerJunk,
          "if-unmodified-since": headerJunk,
          range: fc.oneof(
            fc.constantFrom("bytes=0-0", "bytes=5-1", "bytes=-0", "bytes=0-99999999999"),
            headerJunk,
          ),
          "access-control-request-method": fc.constantFrom("DELETE", "junk"),
          "access-control-request-headers": fc.oneof(
            fc.constantFrom("authorization, content-type", ",,,", "a".repeat(5000)),
            headerJunk,
          ),
        },
        { requiredKeys: [] },
      ),
    })
    .map(({ method, path, headers }) => sent({ method, path, headers }));

describe("the public routes, given hostile paths, queries and headers", () => {
  it("answer without a 5xx, every 4xx in JSON, in time, and change nothing", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    const ran = await holds(RUNS, requests(slugs), async (r) => {
      const before = await rowCounts();
      const answer = await send(r);
      const what = describeSent(r);
      checkAnswer(what, answer, { head: r.method === "HEAD", tombstone: true });
      checkUnchanged(what, answer, changes(before, await rowCounts()));
    });
    expect(ran).toBeGreaterThanOrEqual(RUNS.numRuns);
  });
});
