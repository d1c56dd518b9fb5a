/**
 * The inbox against requests it must refuse: unsigned, signed with junk, forged (another
 * key, another body, another path, an old date) or signed over too little to bind the
 * signature to the request. Whatever it answers, nothing is stored: every D1 table keeps its
 * row count. The keys named here are one the instance holds already, or none anybody
 * serves; keys it has never seen, from servers that answer with hostile documents, are in
 * inbox-keys.property.test.ts.
 */
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { RemoteActor } from "../support/remote";
import { activity, deeplyNested, notAnActivity, OWNER } from "./activities";
import { headerJunk, type Raw, raw } from "./arbitraries";
import {
  changes,
  checkAnswer,
  checkUnchanged,
  describeSent,
  holds,
  PROPERTY_TIMEOUT_MS,
  printable,
  rowCounts,
  type Sent,
  send,
  sent,
} from "./harness";
import {
  junkSignatureHeaders,
  type Message,
  signCovering,
  signedHeaders,
  strangeKeyIds,
  undercovered,
} from "./signing";

const alice = await RemoteActor.create({ host: "alice.forged.hostile.test", username: "alice" });
const mallory = await RemoteActor.create({ host: "mallory.forged.hostile.test", username: "m" });
const UNKNOWN_HOST = "nobody.forged.hostile.test";

const INBOXES = ["/users/owner/inbox", "/inbox"] as const;
const CAP = 1024 * 1024;

/** Cases per property: with the other hostile files, well over 1,000 a run. */
const RUNS = {
  junk: { seed: 0x5eed_0001, numRuns: 260 },
  forged: { seed: 0x5eed_0002, numRuns: 120 },
  undercovered: { seed: 0x5eed_0003, numRuns: 80 },
};

beforeAll(async () => {
  // The instance's own keys are made on first use, and Alice's key is fetched and kept on
  // her first delivery: state set up once, so that the properties see none being made.
  for (const path of ["/users/owner", "/actor"]) {
    const res = await exports.default.fetch(`https://outpost.test${path}`, {
      headers: { accept: "application/activity+json" },
    });
    await res.body?.cancel();
  }
  const res = await alice.send(alice.like(`${OWNER}/statuses/1`));
  if (res.status !== 202) throw new Error(`Alice's first activity: ${res.status}`);
});

let sequence = 0;
/** A fresh activity id on Alice's host, so that no case is skipped as a repeat. */
const nextId = () => `https://${alice.host}/hostile/${++sequence}`;

/** A JSON object of exactly `bytes` bytes, shaped like an activity of Alice's. */
function sized(bytes: number): Raw {
  const head = `{"@context":"https://www.w3.org/ns/activitystreams","id":"${nextId()}","type":"Like","actor":"${alice.id}","object":"${OWNER}/statuses/1","padding":"`;
  const json = `${head}${"x".repeat(Math.max(0, bytes - head.length - 2))}"}`;
  return raw(json, `an activity of ${json.length} bytes (the cap is ${CAP})`);
}

/** A body: an activity of Alice's with hostile fields, not an activity at all, or the cap's size. */
const body: fc.Arbitrary<() => Raw> = fc.oneof(
  {
    arbitrary: activity({ actor: alice.id, known: [OWNER, mallory.id] }).map((build) =>
      printable(
        () => build(nextId()),
        () => fc.stringify(build),
      ),
    ),
    weight: 6,
  },
  {
    arbitrary: deeplyNested({ actor: alice.id, known: [OWNER] }).map((build) =>
      printable(
        () => build(nextId()),
        () => fc.stringify(build),
      ),
    ),
    weight: 3,
  },
  {
    arbitrary: notAnActivity.map((r) =>
      printable(
        () => r,
        () => r.label,
      ),
    ),
    weight: 2,
  },
  {
    arbitrary: fc.integer({ min: -2, max: 2 }).map((d) => {
      const make = () => sized(CAP + d);
      return printable(make, () => `an activity of ${CAP + d} bytes`);
    }),
    weight: 1,
  },
);

const contentType = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      "application/activity+json",
      'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
      "application/json",
    ),
    weight: 4,
  },
  {
    arbitrary: fc.constantFrom(
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "APPLICATION/ACTIVITY+JSON",
      "application/activity+json;;;charset=utf-16",
      "application/json; charset=latin1",
      "",
    ),
    weight: 1,
  },
  { arbitrary: headerJunk, weight: 1 },
);

const encode = (text: string) => new Uint8Array(new TextEncoder().encode(text));

/** The answer's checks, then the row counts: refused or not, nothing may have changed. */
async function refusedCleanly(request: Sent): Promise<void> {
  const before = await rowCounts();
  const answer = await send(request);
  const what = describeSent(request);
  checkAnswer(what, answer);
  checkUnchanged(what, answer, changes(before, await rowCounts()));
}

describe("the inbox, given what it must refuse", () => {
  it("unsigned requests, and signatures made of junk: a JSON 4xx, nothing stored", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    const keyIds = fc.oneof(fc.constant(alice.keyId), strangeKeyIds(UNKNOWN_HOST));
    const request = fc
      .record({
        method: fc.oneof(
          { arbitrary: fc.constant("POST"), weight: 9 },
          { arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "PATCH"), weight: 1 },
        ),
        path: fc.oneof(
          { arbitrary: fc.constantFrom(...INBOXES), weight: 8 },
          {
            arbitrary: fc.constantFrom(
              "/users/nobody/inbox",
              "/inbox?x=%zz",
              "/users/owner/inbox/",
            ),
            weight: 1,
          },
        ),
        body,
        contentType: fc.option(contentType, { nil: undefined }),
        signing: junkSignatureHeaders(keyIds),
        ip: fc.ipV4(),
      })
      .map((r) => {
        const made = r.body();
        return sent({
          method: r.method,
          path: r.path,
          headers: {
            ...r.signing,
            ...(r.contentType === undefined ? {} : { "content-type": r.contentType }),
            "cf-connecting-ip": r.ip,
          },
          body: r.method === "GET" ? undefined : made.json,
          bodyLabel: made.label,
        });
      });
    const cases = await holds(RUNS.junk, request, refusedCleanly);
    expect(cases).toBeGreaterThanOrEqual(RUNS.junk.numRuns);
  });

  it("forged signatures (another key, body, path, host or time): a JSON 4xx, nothing stored", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    const forgery = fc.record({
      how: fc.constantFrom(
        "anotherKey",
        "anotherBody",
        "anotherPath",
        "anotherHost",
        "old",
        "future",
      ),
      flavour: fc.constantFrom("cavage" as const, "rfc9421" as const),
      path: fc.constantFrom(...INBOXES),
      body,
      contentType: fc.constantFrom("application/activity+json", "application/ld+json"),
    });
    const cases = await holds(RUNS.forged, forgery, async (f) => {
      const made = f.body();
      const message: Message = {
        path: f.path,
        body: encode(made.json),
        contentType: f.contentType,
      };
      const key =
        f.how === "anotherKey" ? { ...mallory.signingKey, keyId: alice.keyId } : alice.signingKey;
      const hours = f.how === "old" ? -3 : f.how === "future" ? 3 : 0;
      const headers = await signedHeaders(
        f.how === "anotherPath"
          ? { ...message, path: INBOXES.find((p) => p !== f.path) ?? "/" }
          : message,
        key,
        {
          flavour: f.flavour,
          now: new Date(Date.now() + hours * 3_600_000),
          // Signed for another server's inbox, and replayed here.
          origin: f.how === "anotherHost" ? "https://elsewhere.hostile.test" : undefined,
        },
      );
      headers.set("cf-connecting-ip", "203.0.113.7");
      const sentBody = f.how === "anotherBody" ? `${made.json} ` : made.json;
      await refusedCleanly(
        sent({
          method: "POST",
          path: f.path,
          headers: Object.fromEntries(headers),
          body: sentBody,
          bodyLabel: `${f.how} (${f.flavour}): ${made.label}`,
        }),
      );
    });
    expect(cases).toBeGreaterThanOrEqual(RUNS.forged.numRuns);
  });

  it("valid signatures that do not cover the method, target or host: refused, nothing stored", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    // The signer is sound: covering enough, the same activity is accepted.
    for (const [flavour, components] of [
      ["cavage", ["(request-target)", "host", "date", "digest"]],
      ["rfc9421", ["@method", "@target-uri", "content-digest"]],
    ] as const) {
      const like = JSON.stringify(alice.like(`${OWNER}/statuses/${++sequence}`));
      const message = {
        path: "/inbox",
        body: encode(like),
        contentType: "application/activity+json",
      };
      const headers = await signCovering(message, alice.signingKey, { flavour, components });
      const res = await exports.default.fetch("https://outpost.test/inbox", {
        method: "POST",
        headers,
        body: like,
      });
      expect(res.status, `${flavour} covering ${components.join(" ")}`).toBe(202);
    }
    const cases = await holds(
      RUNS.undercovered,
      fc.record({ covering: undercovered, path: fc.constantFrom(...INBOXES) }),
      async ({ covering, path }) => {
        const like = JSON.stringify(alice.like(`${OWNER}/statuses/${++sequence}`));
        const message = { path, body: encode(like), contentType: "application/activity+json" };
        const headers = await signCovering(message, alice.signingKey, covering);
        headers.set("cf-connecting-ip", "203.0.113.8");
        const request = sent({
          method: "POST",
          path,
          headers: Object.fromEntries(headers),
          body: like,
          bodyLabel: `${covering.flavour} covering only ${covering.components.join(" ")}`,
        });
        const before = await rowCounts();
        const answer = await send(request);
        const what = describeSent(request);
        checkAnswer(what, answer);
        if (answer.status < 400) throw new Error(`${what} → ${answer.status}: accepted`);
        checkUnchanged(what, answer, changes(before, await rowCounts()));
      },
    );
    expect(cases).toBeGreaterThanOrEqual(RUNS.undercovered.numRuns);
  });
});
