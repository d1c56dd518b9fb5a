/**
 * Hostile activities: the envelope a sender must get right to be read at all, around
 * objects, addressing, tags and attachments in every shape the fediverse could send, and
 * some it never should (lists thousands long, arrays nested a hundred thousand deep).
 */
import fc from "fast-check";
import {
  anyJson,
  dateJunk,
  deepArray,
  hostileHtml,
  listOf,
  MANY,
  manyOf,
  objectOf,
  PROTOTYPE_NAMES,
  type Raw,
  raw,
  str,
  typeValue,
} from "./arbitraries";

const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
export const OWNER = "https://outpost.test/users/owner";

/** Who sends, and what is worth referring to. */
export interface Scene {
  /** The sender's actor id: the activity's actor, and the author of its notes. */
  readonly actor: string;
  /**
   * Ids a reference may name: the owner, their notes, other actors. Never the sender's own
   * id, so that a `Delete` is not the sender deleting itself (which would end its part).
   */
  readonly known: readonly string[];
}

/** URLs that are not what they seem. */
const ODD_URLS = [
  "javascript:alert(1)",
  "http://127.0.0.1/x",
  "http://[::1]/x",
  "https://outpost.test/users/owner/../../api/v1/statuses",
  "",
  "https://",
  "data:text/html,<script>alert(1)</script>",
  "https://a.test:99999/",
  "https://xn--80ak6aa92e.test/users/a",
  `${OWNER}#main-key`,
  `${OWNER}/statuses/999999999999999999999`,
  "https://outpost.test/users/owner/followers",
] as const;

/** One reference: an id, a URL that is not one, an embedded object, or junk. */
function reference(scene: Scene): fc.Arbitrary<Raw> {
  const id = fc.oneof(
    { arbitrary: fc.constantFrom(...scene.known), weight: 4 },
    { arbitrary: fc.constantFrom(...ODD_URLS), weight: 2 },
    { arbitrary: fc.webUrl(), weight: 1 },
  );
  return fc.oneof(
    { arbitrary: id.map(str), weight: 6 },
    {
      arbitrary: fc.tuple(id, typeValue).map(([i, type]) =>
        objectOf([
          ["id", str(i)],
          ["type", type],
        ]),
      ),
      weight: 2,
    },
    { arbitrary: fc.array(id.map(str), { maxLength: 4 }).map(listOf), weight: 2 },
    { arbitrary: id.chain((i) => deepArray(str(i))), weight: 1 },
    { arbitrary: anyJson, weight: 1 },
  );
}

/** `to` and `cc`: short lists, huge ones, nested ones; the owner first in most. */
function audience(scene: Scene): fc.Arbitrary<Raw> {
  const crowd = (i: number) =>
    JSON.stringify(i === 0 ? OWNER : i === 1 ? PUBLIC : `https://crowd${i % 7}.test/users/u${i}`);
  return fc.oneof(
    { arbitrary: manyOf(MANY, crowd, "[owner, Public, crowd…]"), weight: 3 },
    { arbitrary: fc.constantFrom(OWNER, PUBLIC, "as:Public", "Public").map(str), weight: 2 },
    { arbitrary: deepArray(str(OWNER)), weight: 1 },
    { arbitrary: reference(scene), weight: 2 },
  );
}

/** A list of `item`s: a few, thousands of copies, nested, or not a list. */
function listsOf(item: fc.Arbitrary<Raw>): fc.Arbitrary<Raw> {
  return fc.oneof(
    { arbitrary: fc.array(item, { maxLength: 6 }).map(listOf), weight: 4 },
    { arbitrary: item.chain((one) => manyOf(MANY, () => one.json, one.label)), weight: 2 },
    { arbitrary: item.chain(deepArray), weight: 1 },
    { arbitrary: anyJson, weight: 1 },
  );
}

function tag(scene: Scene): fc.Arbitrary<Raw> {
  return fc
    .record({
      type: fc.oneof(fc.constantFrom("Mention", "Hashtag", "Emoji").map(str), typeValue),
      name: fc.oneof(fc.string({ maxLength: 30 }).map(str), hostileHtml.map(str), anyJson),
      href: reference(scene),
      icon: reference(scene).map((url) => objectOf([["url", url]])),
    })
    .map((t) => objectOf(Object.entries(t)));
}

function attachment(scene: Scene): fc.Arbitrary<Raw> {
  return fc
    .record({
      type: typeValue,
      mediaType: fc.oneof(fc.constantFrom("image/png", "text/html").map(str), anyJson),
      url: reference(scene),
      name: fc.oneof(hostileHtml.map(str), anyJson),
    })
    .map((a) => objectOf(Object.entries(a)));
}

/** Keys named like `Object.prototype`'s, with any value. */
const prototypeKeys = fc.array(fc.tuple(fc.constantFrom(...PROTOTYPE_NAMES), anyJson), {
  maxLength: 3,
});

/** A note by the sender, mostly storable (its id on the sender's host), with hostile fields. */
export function note(scene: Scene): fc.Arbitrary<Raw> {
  const { actor } = scene;
  return fc
    .tuple(
      fc.record(
        {
          id: fc.oneof(
            { arbitrary: fc.nat(50).map((n) => str(`${actor}/notes/${n}`)), weight: 5 },
            { arbitrary: reference(scene), weight: 1 },
          ),
          type: fc.oneof({ arbitrary: fc.constant(str("Note")), weight: 5 }, typeValue),
          attributedTo: fc.oneof(
            { arbitrary: fc.constant(str(actor)), weight: 5 },
            reference(scene),
            fc.constant(
              listOf([
                objectOf([
                  ["id", str(actor)],
                  ["type", str("Group")],
                ]),
              ]),
            ),
          ),
          content: fc.oneof({ arbitrary: hostileHtml.map(str), weight: 5 }, anyJson),
          contentMap: hostileHtml.map((html) =>
            objectOf([
              ["en", str(html)],
              ["__proto__", str(html)],
            ]),
          ),
          summary: fc.oneof(hostileHtml.map(str), anyJson),
          name: fc.oneof(hostileHtml.map(str), anyJson),
          inReplyTo: reference(scene),
          to: audience(scene),
          cc: audience(scene),
          tag: listsOf(tag(scene)),
          attachment: listsOf(attachment(scene)),
          url: reference(scene),
          published: fc.oneof(dateJunk.map(str), anyJson),
          sensitive: anyJson,
        },
        { requiredKeys: ["id", "type", "attributedTo", "content", "to"] },
      ),
      prototypeKeys,
    )
    .map(([fields, extra]) => objectOf([...Object.entries(fields), ...extra]));
}

/** The sender as an object, for an `Update` of itself: any field may be junk. */
function selfUpdate(scene: Scene): fc.Arbitrary<Raw> {
  const { actor } = scene;
  return fc
    .record({
      type: fc.oneof(fc.constant(str("Person")), typeValue),
      inbox: reference(scene),
      name: fc.oneof(hostileHtml.map(str), anyJson),
      summary: fc.oneof(hostileHtml.map(str), anyJson),
      // A key id it does not sign with: the property keeps its own key working.
      publicKey: fc.oneof(fc.string({ maxLength: 40 }).map(str), anyJson).map((pem) =>
        objectOf([
          ["id", str(`${actor}#hostile-key`)],
          ["owner", str(actor)],
          ["publicKeyPem", pem],
        ]),
      ),
      endpoints: reference(scene).map((url) => objectOf([["sharedInbox", url]])),
      icon: listsOf(reference(scene)),
      attachment: listsOf(attachment(scene)),
    })
    .map((fields) => objectOf([["id", str(actor)], ...Object.entries(fields)]));
}

/** An activity inside another (what an `Undo`, an `Accept` or an `Announce` carries). */
function inner(scene: Scene): fc.Arbitrary<Raw> {
  return fc
    .record({
      type: typeValue,
      id: reference(scene),
      actor: fc.oneof(fc.constant(str(scene.actor)), reference(scene)),
      object: reference(scene),
    })
    .map((fields) => objectOf(Object.entries(fields)));
}

/** A `type` and an `object` that go together, or not at all. */
function typeAndObject(scene: Scene): fc.Arbitrary<[Raw, Raw]> {
  return fc.oneof(
    { arbitrary: fc.tuple(fc.constant(str("Create")), note(scene)), weight: 8 },
    { arbitrary: fc.tuple(fc.constantFrom("Update", "Create").map(str), note(scene)), weight: 1 },
    { arbitrary: fc.tuple(fc.constant(str("Update")), selfUpdate(scene)), weight: 1 },
    { arbitrary: fc.tuple(typeValue, inner(scene)), weight: 2 },
    { arbitrary: fc.tuple(typeValue, reference(scene)), weight: 3 },
    { arbitrary: fc.tuple(typeValue, deepArray(str(OWNER))), weight: 1 },
    { arbitrary: fc.tuple(typeValue, note(scene)), weight: 1 },
  );
}

/**
 * An activity of the sender's, its `id` left to the caller (a repeat is skipped before any
 * handler runs, so each case needs its own).
 */
export function activity(scene: Scene): fc.Arbitrary<(id: string) => Raw> {
  return fc
    .tuple(
      fc.oneof(
        { arbitrary: fc.constant(str(AS_CONTEXT)), weight: 8 },
        {
          arbitrary: fc.constant(listOf([str(AS_CONTEXT), objectOf([["@vocab", str("x")]])])),
          weight: 1,
        },
        { arbitrary: anyJson, weight: 1 },
      ),
      typeAndObject(scene),
      fc.oneof(
        { arbitrary: fc.constant(str(scene.actor)), weight: 8 },
        { arbitrary: fc.constant(objectOf([["id", str(scene.actor)]])), weight: 1 },
      ),
      fc.record({ to: audience(scene), cc: audience(scene) }, { requiredKeys: [] }),
      prototypeKeys,
    )
    .map(([context, [type, object], actor, addressing, extra]) => {
      const build = (id: string) =>
        objectOf([
          ["@context", context],
          ["id", str(id)],
          ["type", type],
          ["actor", actor],
          ["object", object],
          ...Object.entries(addressing),
          ...extra,
        ]);
      const shown = build("<id>").label;
      return Object.defineProperty(build, fc.toStringMethod, { value: () => shown });
    });
}

/**
 * Where a document may nest: the fields readers walk, `object` most (what every handler
 * reads, and what a `Delete` is checked for before its signature is).
 */
const NESTING_FIELDS = fc.oneof(
  { arbitrary: fc.constant("object"), weight: 4 },
  fc.constantFrom("to", "cc", "actor", "tag", "attachment", "inReplyTo", "@context", "type"),
);

/** The types whose handlers read `object` first. */
const READING_TYPES = fc.oneof(
  {
    arbitrary: fc.constantFrom("Delete", "Undo", "Create", "Announce", "Like").map(str),
    weight: 4,
  },
  typeValue,
);

/**
 * An activity with one field nested deeper than any real one: arrays of arrays, or objects
 * in objects (an `Announce` of an `Announce` of ...), around an id a reader would look for.
 */
export function deeplyNested(scene: Scene): fc.Arbitrary<(id: string) => Raw> {
  return fc
    .tuple(
      READING_TYPES,
      NESTING_FIELDS,
      fc.oneof({ arbitrary: fc.constant("array"), weight: 2 }, fc.constant("object")),
      // From the cap up: a failure shrinks to the shallowest nesting that fails.
      fc.oneof(fc.integer({ min: 33, max: 2_000 }), fc.integer({ min: 33, max: 250_000 })),
    )
    .map(([type, field, shape, d]) => {
      const deep =
        shape === "array"
          ? raw(`${"[".repeat(d)}${JSON.stringify(OWNER)}${"]".repeat(d)}`, `${d} × [ owner ]`)
          : raw(
              `${'{"type":"Announce","object":'.repeat(d)}${JSON.stringify(OWNER)}${"}".repeat(d)}`,
              `${d} × {object: … owner}`,
            );
      const build = (id: string) => {
        const base: [string, Raw][] = [
          ["@context", str(AS_CONTEXT)],
          ["id", str(id)],
          ["type", type],
          ["actor", str(scene.actor)],
          ["object", str(OWNER)],
        ];
        return objectOf([...base.filter(([k]) => k !== field), [field, deep]]);
      };
      const shown = build("<id>").label;
      return Object.defineProperty(build, fc.toStringMethod, { value: () => shown });
    });
}

/** A body that is not an activity at all. */
export const notAnActivity: fc.Arbitrary<Raw> = fc.oneof(
  anyJson,
  deepArray(str("x")),
  fc.string({ maxLength: 200 }).map((s) => raw(s)),
  fc
    .constantFrom("", "{", "[1,2]", '"text"', "null", '{"__proto__":{"type":"Create"}}')
    .map((s) => raw(s)),
);
