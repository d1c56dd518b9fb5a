/**
 * Generators of hostile values: JSON of any shape, nested far deeper than anything written
 * by hand, lists long enough to find an uncapped loop, HTML that trips parsers, names that
 * are also `Object.prototype`'s, and header values that only look like what they name.
 * Sizes come from integers, so that a failure shrinks to the smallest size that fails.
 */
import fc from "fast-check";
import { printable, truncate } from "./harness";

/**
 * A JSON value as its text, built by concatenation so that it can nest deeper than
 * `JSON.stringify` recurses; a counterexample shows its `label`, never the whole text.
 */
export interface Raw {
  readonly json: string;
  readonly label: string;
}

export const raw = (json: string, label = truncate(json, 80)): Raw =>
  printable({ json, label }, (r) => r.label);

/** A JSON string. */
export const str = (value: string): Raw => raw(JSON.stringify(value));

/** An object of these fields, in this order (a key may repeat, as JSON allows). */
export function objectOf(fields: readonly (readonly [string, Raw])[]): Raw {
  return raw(
    `{${fields.map(([key, value]) => `${JSON.stringify(key)}:${value.json}`).join(",")}}`,
    truncate(`{${fields.map(([key, value]) => `${key}: ${value.label}`).join(", ")}}`, 600),
  );
}

/** A JSON array of these. */
export function listOf(items: readonly Raw[]): Raw {
  return raw(
    `[${items.map((i) => i.json).join(",")}]`,
    truncate(`[${items.map((i) => i.label).join(", ")}]`, 300),
  );
}

/** Any JSON value fast-check makes, a few levels deep. */
export const anyJson: fc.Arbitrary<Raw> = fc
  .jsonValue({ maxDepth: 4 })
  .map((value) => raw(JSON.stringify(value) ?? "null"));

/**
 * How deep to nest: mostly as deep as real activities go, so that the rest of the case is
 * read; sometimes thousands deep, and deep enough to overflow a recursive reader.
 */
const depth: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 16 }), weight: 12 },
  { arbitrary: fc.integer({ min: 17, max: 64 }), weight: 1 },
  { arbitrary: deepOnly(), weight: 2 },
);

/** Deeper than any real document, up to deep enough to overflow a recursive reader. */
function deepOnly(): fc.Arbitrary<number> {
  return fc.oneof(
    fc.integer({ min: 33, max: 2_000 }),
    fc.integer({ min: 2_000, max: 20_000 }),
    fc.integer({ min: 20_000, max: 250_000 }),
  );
}

/** `inner` wrapped in arrays, `[[[...]]]`, as deep as `depth` says. */
export const deepArray = (inner: Raw): fc.Arbitrary<Raw> =>
  depth.map((d) =>
    raw(`${"[".repeat(d)}${inner.json}${"]".repeat(d)}`, `${d} × [ ${inner.label} ]`),
  );

/**
 * A list of up to `max` items, the i-th given by `item(i)`: long enough to find a loop or a
 * batch that nobody capped; the count shrinks to the smallest that fails.
 */
export function manyOf(max: number, item: (i: number) => string, what: string) {
  return fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 9, max })).map((n) => {
    const items: string[] = [];
    let bytes = 0;
    // Within the inbox's 1 MB, whatever each item weighs: a list of deep nestings stays short.
    for (let i = 0; i < n && bytes < LIST_BUDGET; i++) {
      const one = item(i);
      items.push(one);
      bytes += one.length + 1;
    }
    return raw(`[${items.join(",")}]`, `${items.length} × ${what}`);
  });
}

/** The most text one generated list holds. */
const LIST_BUDGET = 600_000;

/** The list caps a server must have are in the hundreds; past a few thousand is plenty. */
export const MANY = 3_000;

/** Names `Object.prototype` has: a lookup by a received name must not find these. */
export const PROTOTYPE_NAMES = [
  "constructor",
  "toString",
  "__proto__",
  "hasOwnProperty",
  "valueOf",
  "prototype",
  "isPrototypeOf",
  "toLocaleString",
  "toJSON",
  "then",
] as const;

const ACTIVITY_TYPES = [
  "Create",
  "Update",
  "Delete",
  "Follow",
  "Undo",
  "Accept",
  "Reject",
  "Like",
  "Announce",
  "Block",
  "Move",
  "Add",
  "Remove",
  "Flag",
  "EmojiReact",
  "Note",
  "Person",
  "Tombstone",
] as const;

/** A `type`: a real one, a prototype name, junk, a list, or not a string at all. */
export const typeValue: fc.Arbitrary<Raw> = fc.oneof(
  { arbitrary: fc.constantFrom(...ACTIVITY_TYPES).map(str), weight: 6 },
  { arbitrary: fc.constantFrom(...PROTOTYPE_NAMES).map(str), weight: 4 },
  { arbitrary: fc.string({ maxLength: 12 }).map(str), weight: 1 },
  {
    arbitrary: fc
      .array(fc.constantFrom<string>(...ACTIVITY_TYPES, ...PROTOTYPE_NAMES), { maxLength: 4 })
      .map((types) => listOf(types.map(str))),
    weight: 2,
  },
  { arbitrary: anyJson, weight: 1 },
);

/** Markup that has tripped HTML sanitisers and the parsers behind them. */
const HTML_FRAGMENTS = [
  "<select><style>",
  "<select><style></style></select>",
  "<style><select>",
  "<!doctype html>",
  '<!DOCTYPE x SYSTEM "y">',
  "</p>",
  "</div></span>",
  "</b></i></a>",
  "</select></style></script>",
  "<p>",
  "<br/>",
  '<a href="javascript:alert(1)">x</a>',
  '<a href="https://ok.test/@a" class="mention u-url">@a</a>',
  "<script>alert(1)</script>",
  "<svg><style><img src=x onerror=alert(1)>",
  "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
  "<template><script>",
  "<xmp><script>",
  "<plaintext>",
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  "<!-- <script> -->",
  "<!--",
  "<![CDATA[<script>]]>",
  '<iframe srcdoc="<script>alert(1)</script>">',
  "<textarea><script>",
  "<img src=x onerror=alert(1)>",
  "&#0;&#x0;&lt;&gt;&amp;&bogus;&#99999999;",
  "\u0000",
  '<a href="',
  '<p title="unterminated',
  "<table><tr><td><select><option>",
  "<frameset><frame>",
  "<head><title></title></head>",
  "<ruby><rt><rp>",
  "<blockquote><pre><code>",
  '<span class="h-card invisible ellipsis">',
  "<form><button formaction=javascript:alert(1)>",
  "<object data=x><embed src=x>",
  "<base href=//evil.test>",
  "<meta http-equiv=refresh content=0;url=//evil.test>",
  "<?xml version='1.0'?>",
  "<a/href=javascript:alert(1)>",
  "<<p>>",
  "</>",
  "<\u0000script>",
  "\uFEFF\u202E",
] as const;

const NESTING_TAGS = ["b", "p", "span", "select", "a", "div", "blockquote", "style", "svg", "li"];

/** Hostile HTML: fragments, text, and one tag nested up to tens of thousands deep. */
export const hostileHtml: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(fc.oneof(fc.constantFrom(...HTML_FRAGMENTS), fc.string({ maxLength: 16 })), {
      maxLength: 24,
    }),
    fc.constantFrom(...NESTING_TAGS),
    fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 60_000 })),
  )
  .map(([parts, tag, nesting]) => `${`<${tag}>`.repeat(nesting)}${parts.join("")}`);

/** A header value a client may send: printable, but anything else about it is junk. */
export const headerJunk: fc.Arbitrary<string> = fc.oneof(
  fc.string({
    maxLength: 60,
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  }),
  fc.constantFrom("", " ", ",", "=", '""', "\t", "a".repeat(8_000)),
);

/** A `Date` header: the real now, far past or future, or not a date. */
export const dateJunk: fc.Arbitrary<string> = fc.oneof(
  fc.constant(new Date().toUTCString()),
  fc
    .integer({ min: -8_640_000, max: 8_640_000 })
    .map((h) => new Date(Date.now() + h * 3_600_000).toUTCString()),
  fc.constantFrom(
    "0",
    "-1",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "NaN",
  ),
  headerJunk,
);

/** Base64 that may decode, or may not. */
export const base64Junk: fc.Arbitrary<string> = fc.oneof(
  fc.base64String({ maxLength: 700 }),
  fc.constantFrom("", "=", "!!!!", "A".repeat(5_000)),
  headerJunk,
);
