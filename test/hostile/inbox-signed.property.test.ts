/**
 * The inbox against hostile activities that are validly signed, by real remote servers (the
 * fake fediverse serves their keys): the signature is no defence against what a server
 * itself sends. Each is answered 202 or refused with a JSON 4xx, in time, and what it may
 * write is bounded by the list caps of `remote-note.ts`, however long its lists.
 */
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_KEPT_BEYOND } from "../../src/activitypub/parse";
import { NOTE_LIST_LIMITS } from "../../src/activitypub/remote-note";
import { seedFollow, seedNote } from "../helpers";
import { RemoteActor } from "../support/remote";
import { activity, deeplyNested, OWNER } from "./activities";
import {
  changes,
  checkAnswer,
  checkUnchanged,
  failure,
  holds,
  PROPERTY_TIMEOUT_MS,
  printable,
  read,
  rowCounts,
} from "./harness";

/** Senders on hosts of their own: each host's rate limit (400 a minute in tests) is its own. */
const senders = await Promise.all(
  [0, 1, 2, 3, 4].map((i) =>
    RemoteActor.create({ host: `s${i}.signed.hostile.test`, username: `sender${i}` }),
  ),
);
const stranger = "https://stranger.signed.hostile.test/users/nobody";

const RUNS = { seed: 0x5eed_0010, numRuns: 260 };

/**
 * The most rows one activity may add to a table: a note's recipients and tags are capped
 * (`NOTE_LIST_LIMITS`), and nothing else a single activity does writes more than a few.
 */
const ROW_BOUNDS: Readonly<Record<string, number>> = {
  note_recipients: NOTE_LIST_LIMITS.to + NOTE_LIST_LIMITS.cc + 2 * MAX_KEPT_BEYOND,
  note_tags: NOTE_LIST_LIMITS.tag + MAX_KEPT_BEYOND,
};
const OTHER_TABLES_BOUND = 16;

let ownerNotes: string[] = [];

beforeAll(async () => {
  for (const path of ["/users/owner", "/actor"]) {
    const res = await exports.default.fetch(`https://outpost.test${path}`, {
      headers: { accept: "application/activity+json" },
    });
    await res.body?.cancel();
  }
  // The owner follows the first sender: every note of theirs concerns the owner.
  const first = senders[0] as RemoteActor;
  await seedFollow(first.id, OWNER);
  ownerNotes = await Promise.all([1, 2, 3].map(async () => (await seedNote()).id));
  for (const sender of senders) {
    const res = await sender.send(sender.like(`${OWNER}/statuses/1`));
    if (res.status !== 202) throw new Error(`${sender.id}'s first activity: ${res.status}`);
  }
});

describe("the inbox, given hostile activities with valid signatures", () => {
  it("answers 202 or a JSON 4xx, in time, and writes a bounded number of rows", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    const cases = fc.integer({ min: 0, max: senders.length - 1 }).chain((index) => {
      const sender = senders[index] as RemoteActor;
      const known = [
        OWNER,
        `${OWNER}/followers`,
        ...ownerNotes,
        stranger,
        ...senders.filter((s) => s !== sender).map((s) => s.id),
      ];
      return fc.record({
        sender: fc.constant(
          printable({ index }, () => `sender ${index} (${sender.id})`) as { index: number },
        ),
        build: fc.oneof(
          { arbitrary: activity({ actor: sender.id, known }), weight: 8 },
          { arbitrary: deeplyNested({ actor: sender.id, known }), weight: 1 },
        ),
        flavour: fc.constantFrom("cavage" as const, "rfc9421" as const),
        path: fc.constantFrom("/users/owner/inbox", "/inbox"),
        contentType: fc.constantFrom(
          "application/activity+json",
          'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
          "application/json",
        ),
      });
    });
    const ran = await holds(RUNS, cases, async (c) => {
      const sender = senders[c.sender.index] as RemoteActor;
      const body = c.build(sender.newId());
      const what = `POST ${c.path} signed (${c.flavour}) by ${sender.id}, ${c.contentType}, body (${body.json.length} chars): ${body.label}`;
      const before = await rowCounts("rows");
      const answer = await read(what, () =>
        sender.send(body.json, { path: c.path, flavour: c.flavour, contentType: c.contentType }),
      );
      checkAnswer(what, answer);
      if (answer.status !== 202 && answer.status < 400) {
        throw failure(what, answer, "neither 202 nor a refusal");
      }
      const after = await rowCounts("rows");
      // Earlier accepted cases may still be updating rows (their queue work): counts only.
      if (answer.status >= 400) {
        return checkUnchanged(what, answer, changes(before, after, "rows"));
      }
      for (const table of Object.keys(after)) {
        const added = (after[table]?.rows ?? 0) - (before[table]?.rows ?? 0);
        const bound = ROW_BOUNDS[table] ?? OTHER_TABLES_BOUND;
        if (added > bound)
          throw failure(what, answer, `added ${added} rows to ${table} (bound ${bound})`);
      }
    });
    expect(ran).toBeGreaterThanOrEqual(RUNS.numRuns);
  });
});
