/**
 * A stand-in for the part of the Cloudflare API that `npm run setup`, `deploy` and `backup`
 * reach through wrangler, on loopback, so that the real wrangler can be run against it and its
 * output recorded (`record.mjs`). It keeps an account's resources in memory; a scenario can
 * make one route answer with an error, copied from what the real API answers (the texts are
 * those users have reported from wrangler; the codes are the API's).
 *
 * Nothing here is used by the tests themselves: they read the recorded fixtures.
 */
import { createServer } from "node:http";
import {
  ACCOUNT,
  apiError,
  CREATED,
  ERRORS,
  freshState,
  nextId,
  ok,
  page,
} from "./fake-api-kit.mjs";
import { DEPLOY_ROUTES } from "./fake-deploy-routes.mjs";

export { ACCOUNT, ERRORS, freshState };

/** The routes, each `[method, pattern, handler(state, match, url, body)]`. */
const ROUTES = [
  ["GET", /^\/user\/tokens\/verify$/, () => ok({ id: "token-id", status: "active" })],
  ["GET", /^\/user$/, () => ok({ id: "user-id", email: "alice@example.com" })],
  ["GET", /^\/accounts$/, ({ s, url }) => page(s.accounts, url)],
  [
    "GET",
    /^\/memberships$/,
    ({ s, url }) =>
      page(
        s.accounts.map((account, i) => ({
          id: `m${i + 1}`,
          status: "accepted",
          account,
          roles: ["Super Administrator - All Privileges"],
        })),
        url,
      ),
  ],
  ["GET", /^\/accounts\/\w+\/d1\/database$/, ({ s, url }) => page(s.d1, url)],
  [
    "POST",
    /^\/accounts\/\w+\/d1\/database$/,
    ({ s, body }) => {
      const db = {
        uuid: nextId(true),
        name: body.name,
        created_at: CREATED,
        version: "production",
        num_tables: 0,
        file_size: 12288,
        created_in_region: "WEUR",
        jurisdiction: null,
      };
      s.d1.push(db);
      return ok(db);
    },
  ],
  [
    "GET",
    /^\/accounts\/\w+\/d1\/database\/([\w-]+)$/,
    ({ s, m }) => {
      const db = s.d1.find((d) => d.uuid === m[1] || d.name === m[1]);
      return db
        ? ok({ ...db, running_in_region: "WEUR", read_replication: { mode: "disabled" } })
        : apiError(404, { code: 7404, message: `The database ${m[1]} could not be found` });
    },
  ],
  [
    "POST",
    /^\/accounts\/\w+\/d1\/database\/[\w-]+\/(query|raw)$/,
    ({ s, body }) => {
      const answer = s.queries.find((q) =>
        q.when instanceof RegExp ? q.when.test(body.sql) : body.sql.includes(q.when),
      );
      if (answer?.error) return answer.error;
      const results = answer?.results ?? [];
      return ok([
        {
          results,
          success: true,
          meta: {
            served_by: "v3-prod",
            duration: 0.2,
            changes: 0,
            last_row_id: 0,
            changed_db: false,
            size_after: 12288,
            rows_read: results.length,
            rows_written: 0,
          },
        },
      ]);
    },
  ],
  [
    "POST",
    /^\/accounts\/\w+\/d1\/database\/[\w-]+\/export$/,
    ({ s, body }) => {
      s.exports.push(body.dump_options);
      return ok({
        success: true,
        type: "export",
        at_bookmark: "0000000a-00000000-00004f3a-abc",
        status: "complete",
        messages: ["Generating 0000000a-00000000-00004f3a-abc.sql", "Uploaded part 2"],
        result: { filename: "outpost-0000000a.sql", signed_url: `${s.origin}/__export.sql` },
      });
    },
  ],
  ["GET", /^\/accounts\/\w+\/storage\/kv\/namespaces$/, ({ s, url }) => page(s.kv, url)],
  [
    "POST",
    /^\/accounts\/\w+\/storage\/kv\/namespaces$/,
    ({ s, body }) => {
      const ns = {
        id: nextId(false),
        title: body.title,
        supports_url_encoding: true,
        beta: false,
      };
      s.kv.push(ns);
      return ok(ns);
    },
  ],
  ["GET", /^\/accounts\/\w+\/r2\/buckets$/, ({ s }) => ok({ buckets: s.r2 })],
  [
    "POST",
    /^\/accounts\/\w+\/r2\/buckets$/,
    ({ s, body }) => {
      const bucket = {
        name: body.name,
        creation_date: CREATED,
        location: "WEUR",
        storage_class: "Standard",
      };
      s.r2.push(bucket);
      return ok(bucket);
    },
  ],
  [
    "GET",
    /^\/accounts\/\w+\/queues$/,
    ({ s, url }) => {
      const name = url.searchParams.get("name");
      return ok(name ? s.queues.filter((q) => q.queue_name === name) : s.queues);
    },
  ],
  [
    "POST",
    /^\/accounts\/\w+\/queues$/,
    ({ s, body }) => {
      const q = {
        queue_id: nextId(false),
        queue_name: body.queue_name,
        created_on: CREATED,
        modified_on: CREATED,
        producers: [],
        producers_total_count: 0,
        consumers: [],
        consumers_total_count: 0,
        settings: { delivery_delay: 0, delivery_paused: false, message_retention_period: 345600 },
      };
      s.queues.push(q);
      return ok(q);
    },
  ],
  [
    "GET",
    /^\/accounts\/\w+\/workers\/scripts\/([\w-]+)\/secrets$/,
    ({ s, m }) => (s.scripts[m[1]] ? ok(s.scripts[m[1]].secrets) : ERRORS.scriptNotFound),
  ],
];

/** Starts the stand-in on a free loopback port. */
export async function startFakeApi(state = freshState()) {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const raw = Buffer.concat(chunks);
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      if (url.pathname === "/__export.sql") {
        res.writeHead(200, { "content-type": "application/sql" });
        return res.end(state.exportSql);
      }
      const answer = route(state, { method: req.method ?? "GET", url, raw, headers: req.headers });
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  state.origin = `http://127.0.0.1:${port}`;
  return {
    url: `http://127.0.0.1:${port}/client/v4`,
    state,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}

function route(state, { method, url, raw, headers }) {
  const path = url.pathname.replace(/^\/client\/v4/, "");
  const key = `${method} ${path.replace(/^\/accounts\/\w+/, "")}`;
  const failure =
    state.failures[key] ?? state.failures[key.replace(/^(\w+ \/queues\/)\w+/, "$1:id")];
  if (failure) return failure;
  for (const [m, pattern, handler] of [...ROUTES, ...DEPLOY_ROUTES]) {
    const match = m === method ? pattern.exec(path) : null;
    if (match) return handler({ s: state, m: match, url, raw, headers, body: parseBody(raw) });
  }
  return apiError(404, {
    code: 7003,
    message: `No route for that URI (fake API: ${method} ${path})`,
  });
}

function parseBody(raw) {
  const text = raw.toString("utf8").trim();
  if (!text.startsWith("{") && !text.startsWith("[")) return {};
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}
