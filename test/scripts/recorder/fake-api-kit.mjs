/**
 * The pieces of the Cloudflare API stand-in (`fake-cloudflare-api.mjs`): its account, its
 * answer envelopes and the errors the real API answers, as users have reported them from
 * wrangler (the codes are the API's).
 */
export const ACCOUNT = { id: "4f9e2c1d8a7b6c5d4e3f2a1b0c9d8e7f", name: "Alice's Account" };
export const CREATED = "2026-12-03T06:50:00.000Z";
export const VERSION_ID = "5e1c7b2d-9a3f-4c6e-8b0d-2f4a6c8e0b1d";

let counter = 0;
/** Ids as the API makes them, but the same on every recording. */
export function nextId(dashed) {
  counter += 1;
  const hex = `7c${String(counter).padStart(6, "0")}a1b2c3d4e5f60718293a4b5c6d7e8f90`.slice(0, 32);
  return dashed
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20)}`
    : hex;
}

/** An error answer of the API, as its envelope carries it. */
export function apiError(status, error) {
  return {
    status,
    body: { success: false, errors: [error], messages: [], result: null },
  };
}

/** The errors the scenarios use, keyed by a short name. */
export const ERRORS = {
  authentication: apiError(403, { code: 10000, message: "Authentication error" }),
  invalidToken: apiError(400, { code: 1000, message: "Invalid API Token" }),
  r2NotEnabled: apiError(403, {
    code: 10042,
    message: "Please enable R2 through the Cloudflare Dashboard.",
  }),
  queuesFreePlan: apiError(403, {
    code: 100129,
    message: `Queues are unavailable on the free plan. Please upgrade to a Workers Paid plan to create and use Queues: https://dash.cloudflare.com/${ACCOUNT.id}/workers/plans`,
    documentation_url: "https://developers.cloudflare.com/queues/platform/pricing/",
  }),
  queuesNotEnabled: apiError(403, {
    code: 11002,
    message: `In order to use Queues, you must enable your account at https://dash.cloudflare.com/${ACCOUNT.id}/workers/queues.`,
  }),
  d1Exists: apiError(400, { code: 7502, message: "A database with that name already exists" }),
  kvExists: apiError(400, {
    code: 10014,
    message: "a namespace with this account ID and title already exists",
  }),
  r2Exists: apiError(409, {
    code: 10004,
    message: "The bucket you tried to create already exists, and you own it.",
  }),
  scriptNotFound: apiError(404, {
    code: 10007,
    message: "This Worker does not exist on your account.",
  }),
  noSubdomain: apiError(404, { code: 10007, message: "This subdomain does not exist." }),
  // A queue has one consumer: adding a second Worker's (cloudflare/workers-sdk#5347).
  consumerExists: apiError(400, { code: 11004, message: "workers.api.error.consumer_exists" }),
  migrationFailed: apiError(400, {
    code: 7500,
    message: "no such column: missing_column: SQLITE_ERROR",
  }),
  exportVirtual: apiError(500, {
    code: 7500,
    message: "D1 Export error: cannot export databases with Virtual Tables (fts5)",
  }),
};

export function ok(result, resultInfo) {
  return {
    status: 200,
    body: {
      success: true,
      errors: [],
      messages: [],
      result,
      ...(resultInfo ? { result_info: resultInfo } : {}),
    },
  };
}

/** A fresh account: nothing created, logged in, no workers.dev subdomain problems. */
export function freshState() {
  return {
    accounts: [ACCOUNT],
    d1: [],
    kv: [],
    r2: [],
    queues: [],
    scripts: {},
    subdomain: "alice",
    /** route key ("POST /queues", "POST /queues/:id/consumers") → an ERRORS entry */
    failures: {},
    /** answers of d1 queries, by a word the SQL contains */
    queries: [],
    exportSql: "",
    /** the metadata of each script upload */
    uploads: [],
    /** the dump options of each export */
    exports: [],
  };
}

export function page(items, url) {
  const per = Number(url.searchParams.get("per_page") ?? 20);
  const n = Number(url.searchParams.get("page") ?? 1);
  return ok(items.slice((n - 1) * per, n * per), {
    page: n,
    per_page: per,
    count: Math.min(per, Math.max(0, items.length - (n - 1) * per)),
    total_count: items.length,
  });
}

/** The routes, each `[method, pattern, handler(state, match, url, body)]`. */
