/**
 * What every hostile-input property shares: a generated request that prints short in a
 * counterexample, sending it under a hang guard, the checks every answer must pass, and the
 * row counts of every D1 table, to tell whether a refused request changed anything.
 */
import { env, exports } from "cloudflare:workers";
import { getTableName, is } from "drizzle-orm";
import { SQLiteTable } from "drizzle-orm/sqlite-core";
import fc from "fast-check";
import * as schema from "../../src/storage/schema";

/**
 * How long one request may take before the property fails. A hang guard, not a benchmark:
 * a request that stalls (a regex gone quadratic, a loop over a list nobody capped) passes
 * it by orders of magnitude, and a loaded 2-core CI machine stays well within it.
 */
const TIME_BOUND_MS = 5_000;

/** How long one property may run, shrinking included (see `holds`). */
const SHRINK_LIMIT_MS = 120_000;

/** The test's own timeout: the property's limit, and time to set up and report. */
export const PROPERTY_TIMEOUT_MS = SHRINK_LIMIT_MS + 60_000;

/** `text` cut to `max` characters, saying how long it was. */
export function truncate(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`;
}

/** `value`, printed by fast-check's counterexamples as `show` says (never in full). */
export function printable<T extends object>(value: T, show: (value: T) => string): T {
  return Object.defineProperty(value, fc.toStringMethod, { value: () => show(value) });
}

/** One generated request. */
export interface Sent {
  readonly method: string;
  /** Path and query, appended to the instance's origin. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array<ArrayBuffer>;
  /** What a failure shows of a body built from a shape (a deep nesting is not shown whole). */
  readonly bodyLabel?: string;
}

const byteLength = (body: string | Uint8Array) =>
  typeof body === "string" ? new TextEncoder().encode(body).byteLength : body.byteLength;

/** The request as a failure reports it: method, path, headers and a truncated body. */
export function describeSent(sent: Sent): string {
  const headers = Object.entries(sent.headers)
    .map(([name, value]) => `${name}: ${truncate(JSON.stringify(value), 80)}`)
    .join("; ");
  const body =
    sent.body === undefined
      ? "no body"
      : `body (${byteLength(sent.body)} bytes): ${truncate(
          sent.bodyLabel ??
            (typeof sent.body === "string" ? sent.body : `bytes ${[...sent.body.slice(0, 40)]}`),
          300,
        )}`;
  return `${sent.method} ${truncate(sent.path, 200)} [${headers}] ${body}`;
}

/** A request that prints as `describeSent` in a counterexample. */
export const sent = (value: Sent): Sent => printable(value, describeSent);

/** What came back, read whole within the time bound. */
export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  /** The `Location` of a redirect; empty otherwise. */
  readonly location: string;
}

/** How long a request that missed the bound is waited for, before the next case starts. */
const STRAGGLER_WAIT_MS = 60_000;

/**
 * Resolves `work` within `TIME_BOUND_MS`, or fails saying what hung. A request that missed
 * the bound is still waited for (up to a minute) before the failure is thrown: a stall that
 * holds the isolate would otherwise slow the next cases down, and shrinking would blame them.
 */
async function withinBound<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const running = work().then((value) => ({ value }));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), TIME_BOUND_MS);
  });
  try {
    const answered = await Promise.race([running, hung]);
    // A stall that holds the isolate's only thread delays the timer too: measure as well.
    const ms = Date.now() - started;
    if (answered !== undefined && ms <= TIME_BOUND_MS) return answered.value;
    await Promise.race([running.catch(() => undefined), sleep(STRAGGLER_WAIT_MS)]);
    const late = answered === undefined ? "no answer" : `an answer only after ${ms} ms`;
    throw new Error(
      `${what} → ${late} (bound ${TIME_BOUND_MS} ms; settled after ${Date.now() - started} ms)`,
    );
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads a response whole, within the time bound. */
export function read(what: string, response: () => Promise<Response>): Promise<Answer> {
  return withinBound(what, async () => {
    const res = await response();
    const text = await res.text();
    const contentType = res.headers.get("content-type") ?? "";
    return { status: res.status, contentType, text, location: res.headers.get("location") ?? "" };
  });
}

/** Sends a generated request to the instance and reads the answer within the time bound. */
export function send(request: Sent): Promise<Answer> {
  return read(describeSent(request), () =>
    exports.default.fetch(`https://outpost.test${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
    }),
  );
}

/** A failure naming the request and what came back. */
export function failure(what: string, answer: Answer, why: string): Error {
  return new Error(`${what} → ${answer.status} ${why}; answered: ${truncate(answer.text, 300)}`);
}

export interface AnswerRules {
  /** HEAD: the body is dropped, only the content type can be checked. */
  readonly head?: boolean;
  /**
   * ActivityPub's answer for a deleted object: 410 with its Tombstone, not an error
   * document (ActivityPub §3.2, what Mastodon and Fedify serve).
   */
  readonly tombstone?: boolean;
}

/** No 5xx, and every 4xx says why in `{"error": "..."}` with a JSON content type. */
export function checkAnswer(what: string, answer: Answer, rules: AnswerRules = {}): void {
  if (answer.status >= 500) throw failure(what, answer, "a server error");
  if (answer.status < 400) return;
  if (rules.tombstone && answer.status === 410 && /"Tombstone"/.test(answer.text)) return;
  if (!/^application\/json\b/.test(answer.contentType)) {
    throw failure(what, answer, `a 4xx with content type "${answer.contentType}", not JSON`);
  }
  if (rules.head) return;
  let error: unknown;
  try {
    error = (JSON.parse(answer.text) as { error?: unknown }).error;
  } catch {
    throw failure(what, answer, "a 4xx whose body is not JSON");
  }
  if (typeof error !== "string") throw failure(what, answer, 'a 4xx without a string "error"');
}

/** Every table of `storage/schema.ts`: a new table is counted without a change here. */
const TABLES: readonly string[] = Object.values(schema as Record<string, unknown>).flatMap(
  (value) => (is(value, SQLiteTable) ? [getTableName(value)] : []),
);

/** What a table holds: how many rows, and a digest of them all (an UPDATE changes it too). */
export interface TableState {
  readonly rows: number;
  readonly digest: string;
}

export type RowCounts = Readonly<Record<string, TableState>>;

/**
 * The rows of every table, counted and digested, read in one batch; `rows` only counts them
 * (cheap where tables grow large, and enough where updates are expected anyway).
 */
export async function rowCounts(read: "all" | "rows" = "all"): Promise<RowCounts> {
  const query = (table: string) =>
    read === "all"
      ? `SELECT * FROM "${table}" ORDER BY rowid`
      : `SELECT count(*) AS n FROM "${table}"`;
  const results = await env.DB.batch(TABLES.map((table) => env.DB.prepare(query(table))));
  const states = await Promise.all(
    TABLES.map(async (table, i) => {
      const rows = results[i]?.results ?? [];
      if (read === "rows") {
        const [counted] = rows as { n: number }[];
        return [table, { rows: counted?.n ?? -1, digest: "" }] as const;
      }
      const bytes = new TextEncoder().encode(JSON.stringify(rows));
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
      return [table, { rows: rows.length, digest: digest.join(",") }] as const;
    }),
  );
  return Object.fromEntries(states);
}

/**
 * The tables that changed, as `table +n` (rows added) or `table changed`; empty when none.
 * `rows` compares the counts only: for a property whose earlier cases leave queue work
 * running, which may update rows meanwhile.
 */
export function changes(before: RowCounts, after: RowCounts, compare: "all" | "rows" = "all") {
  return TABLES.flatMap((table) => {
    const [was, is] = [before[table], after[table]];
    if (compare === "all" ? was?.digest === is?.digest : was?.rows === is?.rows) return [];
    const delta = (is?.rows ?? 0) - (was?.rows ?? 0);
    return [delta === 0 ? `${table} changed` : `${table} ${delta > 0 ? "+" : ""}${delta}`];
  });
}

/** Fails when any table changed: for what was refused, and for what only reads. */
export function checkUnchanged(what: string, answer: Answer, diff: readonly string[]): void {
  if (diff.length > 0) throw failure(what, answer, `yet rows changed: ${diff.join(", ")}`);
}

/**
 * Waits until background work (queue consumers set going by an accepted request) stops
 * writing, so that the next request's before-and-after counts are its own.
 */
export async function settled(maxMs = 3_000): Promise<RowCounts> {
  const deadline = Date.now() + maxMs;
  let last = await rowCounts();
  for (;;) {
    await sleep(60);
    const now = await rowCounts();
    if (changes(last, now).length === 0 || Date.now() > deadline) return now;
    last = now;
  }
}

/** How a property runs: its fixed seed, and how many cases. */
export interface Runs {
  readonly seed: number;
  readonly numRuns: number;
}

/**
 * Runs a property with its fixed seed; answers how many cases ran. fast-check's error names
 * the seed, the path to the shrunk case and the case itself (printed short); the
 * predicate's own error names the request and what came back.
 */
export async function holds<T>(
  runs: Runs,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void>,
): Promise<number> {
  let cases = 0;
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      cases++;
      await predicate(value);
    }),
    {
      seed: runs.seed,
      numRuns: runs.numRuns,
      // Shrinking a failure through slow requests could take hours: it stops here, and the
      // failure is reported shrunk as far as it got. A run that has not finished by then
      // (no failure yet) fails too, rather than passing on fewer cases.
      interruptAfterTimeLimit: SHRINK_LIMIT_MS,
      markInterruptAsFailure: true,
    },
  );
  return cases;
}
