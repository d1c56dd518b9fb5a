/**
 * The inbox against keys it has never seen, from servers that answer with hostile actor
 * documents: a PEM with thousands of armour lines, a megabyte of base64, a thousand keys,
 * keys nested deep, no key at all. Whatever the document, the request (which no key there
 * can verify) is refused with a JSON 4xx in time, and nothing is stored.
 */
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { RemoteActor, serve } from "../support/remote";
import { activity, OWNER } from "./activities";
import { anyJson, deepArray, manyOf, objectOf, type Raw, raw, str } from "./arbitraries";
import {
  changes,
  checkAnswer,
  checkUnchanged,
  failure,
  holds,
  PROPERTY_TIMEOUT_MS,
  read,
  rowCounts,
} from "./harness";
import { signedHeaders } from "./signing";

const HOST = "keys.hostile.test";
/** Signs every request: the key the documents name is never its key. */
const signer = await RemoteActor.create({ host: "signer.keys.hostile.test", username: "signer" });
/** A real key nobody here holds the private half of. */
const bystander = await RemoteActor.create({ host: "by.keys.hostile.test", username: "by" });

const RUNS = { seed: 0x5eed_0020, numRuns: 80 };

beforeAll(async () => {
  for (const path of ["/users/owner", "/actor"]) {
    const res = await exports.default.fetch(`https://outpost.test${path}`, {
      headers: { accept: "application/activity+json" },
    });
    await res.body?.cancel();
  }
});

const BEGIN = "-----BEGIN PUBLIC KEY-----";
const END = "-----END PUBLIC KEY-----";

/** A `publicKeyPem` that is no key: armour repeated, base64 of nothing, or not text. */
const hostilePem: fc.Arbitrary<Raw> = fc.oneof(
  {
    arbitrary: fc
      .oneof(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: 38_000 }))
      .map((n) => raw(JSON.stringify(BEGIN.repeat(n)), `${n} × "${BEGIN}"`)),
    weight: 3,
  },
  {
    arbitrary: fc
      .integer({ min: 1, max: 700_000 })
      .map((n) => raw(JSON.stringify(`${BEGIN}\n${"A".repeat(n)}\n${END}`), `PEM of ${n} × "A"`)),
    weight: 2,
  },
  {
    arbitrary: fc
      .integer({ min: 1, max: 20_000 })
      .map((n) =>
        raw(
          JSON.stringify(`-----BEGIN RSA PUBLIC KEY-----${"\n-----END ".repeat(n)}`),
          `RSA armour, ${n} × "-----END "`,
        ),
      ),
    weight: 2,
  },
  fc.constant(str(bystander.publicKeyPem)),
  fc.string({ maxLength: 40 }).map(str),
  anyJson,
);

/**
 * The actor the documents are about: a template, each case replacing the placeholder with
 * an actor of its own, so that no case (and no shrink of one) meets a key a former one left.
 */
const PLACEHOLDER = "__actor__";
const TEMPLATE = `https://${HOST}/users/${PLACEHOLDER}`;
const TEMPLATE_KEY = `${TEMPLATE}#main-key`;

/** The actor document its server answers with, naming the key (or not) in hostile ways. */
function hostileDocument(): fc.Arbitrary<Raw> {
  const key = (pem: Raw) =>
    objectOf([
      ["id", str(TEMPLATE_KEY)],
      ["owner", str(TEMPLATE)],
      ["publicKeyPem", pem],
    ]);
  const publicKey = fc.oneof(
    { arbitrary: hostilePem.map(key), weight: 6 },
    hostilePem.chain((pem) => manyOf(3_000, () => key(pem).json, `key(${pem.label})`)),
    hostilePem.chain((pem) => deepArray(key(pem))),
    fc.constant(key(str(bystander.publicKeyPem))),
    anyJson,
  );
  const document = fc
    .record({
      type: fc.oneof({ arbitrary: fc.constant(str("Person")), weight: 6 }, anyJson),
      inbox: fc.oneof({ arbitrary: fc.constant(str(`${TEMPLATE}/inbox`)), weight: 6 }, anyJson),
      publicKey,
    })
    .map((fields) =>
      objectOf([
        ["@context", str("https://www.w3.org/ns/activitystreams")],
        ["id", str(TEMPLATE)],
        ["preferredUsername", str("k")],
        ...Object.entries(fields),
      ]),
    );
  return fc.oneof(
    { arbitrary: document, weight: 8 },
    { arbitrary: fc.string({ maxLength: 50 }).map((s) => raw(s)), weight: 1 },
    {
      arbitrary: fc.constant(raw(`{"padding":"${"x".repeat(1_100_000)}"}`, "over 1 MB")),
      weight: 1,
    },
  );
}

let sequence = 0;

describe("the inbox, naming keys it has never seen", () => {
  it("refuses what no key there verifies, with a JSON 4xx, in time, storing nothing", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    const cases = fc.record({
      document: hostileDocument(),
      build: activity({ actor: TEMPLATE, known: [OWNER, signer.id] }),
      flavour: fc.constantFrom("cavage" as const, "rfc9421" as const),
    });
    const ran = await holds(RUNS, cases, async ({ document, build, flavour }) => {
      const actor = `k${++sequence}`;
      const id = TEMPLATE.replace(PLACEHOLDER, actor);
      const keyId = `${id}#main-key`;
      await serve({ url: id, body: document.json.replaceAll(PLACEHOLDER, actor) });
      const body = build(`${id}/activities/1`).json.replaceAll(PLACEHOLDER, actor);
      const message = {
        path: "/users/owner/inbox",
        body: new Uint8Array(new TextEncoder().encode(body)),
        contentType: "application/activity+json",
      };
      const headers = await signedHeaders(message, { ...signer.signingKey, keyId }, { flavour });
      headers.set("cf-connecting-ip", "203.0.113.20");
      const what = `POST /users/owner/inbox (${flavour}) naming ${keyId}, whose server answers ${document.label}; body: ${fc.stringify(build)}`;
      const before = await rowCounts();
      const answer = await read(what, () =>
        exports.default.fetch("https://outpost.test/users/owner/inbox", {
          method: "POST",
          headers,
          body: message.body,
        }),
      );
      checkAnswer(what, answer);
      if (answer.status < 400) throw failure(what, answer, "accepted");
      checkUnchanged(what, answer, changes(before, await rowCounts()));
    });
    expect(ran).toBeGreaterThanOrEqual(RUNS.numRuns);
  });
});
