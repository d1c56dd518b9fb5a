/** The routes of the Cloudflare API stand-in that `wrangler deploy` uses. */
import { apiError, CREATED, ERRORS, nextId, ok, VERSION_ID } from "./fake-api-kit.mjs";

/** What `wrangler deploy` asks and sends. */
export const DEPLOY_ROUTES = [
  [
    "GET",
    /^\/accounts\/\w+\/workers\/services\/([\w-]+)$/,
    ({ s, m }) =>
      s.scripts[m[1]]
        ? ok({
            id: m[1],
            default_environment: {
              environment: "production",
              script: {
                tag: `tag-${m[1]}`,
                tags: null,
                last_deployed_from: "wrangler",
                migration_tag: s.scripts[m[1]].migrationTag,
              },
            },
          })
        : ERRORS.scriptNotFound,
  ],
  [
    "GET",
    /^\/accounts\/\w+\/workers\/subdomain$/,
    ({ s }) => (s.subdomain ? ok({ subdomain: s.subdomain }) : ERRORS.noSubdomain),
  ],
  [
    "PUT",
    /^\/accounts\/\w+\/workers\/scripts\/([\w-]+)$/,
    (req) => {
      upload(req);
      return ok({
        id: req.m[1],
        etag: ETAG,
        handlers: ["fetch", "queue", "scheduled"],
        deployment_id: VERSION_ID,
        startup_time_ms: 14,
        has_modules: true,
      });
    },
  ],
  [
    "POST",
    /^\/accounts\/\w+\/workers\/scripts\/([\w-]+)\/versions$/,
    (req) => {
      upload(req);
      return ok({
        id: "9d4b2f6e-3a1c-4e8b-a7d5-6c0e2b4f8a1d",
        number: 2,
        metadata: { author_email: "alice@example.com", source: "wrangler", created_on: CREATED },
        resources: { script: { etag: ETAG, handlers: ["fetch", "queue", "scheduled"] } },
        startup_time_ms: 15,
      });
    },
  ],
  [
    "POST",
    /^\/accounts\/\w+\/workers\/scripts\/[\w-]+\/deployments$/,
    ({ body }) =>
      ok({
        id: "2c6e0a4b-8d1f-4b3a-9e5c-7f1a3c5e7b9d",
        source: "wrangler",
        strategy: body.strategy,
        author_email: "alice@example.com",
        created_on: CREATED,
        versions: body.versions,
      }),
  ],
  ["PATCH", /^\/accounts\/\w+\/workers\/scripts\/[\w-]+\/script-settings$/, ({ body }) => ok(body)],
  [
    "GET",
    /^\/accounts\/\w+\/workers\/workers\/([\w-]+)$/,
    ({ s, m }) =>
      ok({
        id: m[1],
        name: m[1],
        subdomain: { enabled: s.scripts[m[1]]?.workersDev ?? false, previews_enabled: false },
      }),
  ],
  [
    "POST",
    /^\/accounts\/\w+\/workers\/scripts\/([\w-]+)\/subdomain$/,
    ({ s, m, body }) => {
      if (s.scripts[m[1]]) s.scripts[m[1]].workersDev = body.enabled;
      return ok({ enabled: body.enabled, previews_enabled: body.previews_enabled });
    },
  ],
  [
    "PUT",
    /^\/accounts\/\w+\/workers\/scripts\/[\w-]+\/schedules$/,
    ({ body }) => ok({ schedules: body }),
  ],
  [
    "POST",
    /^\/accounts\/\w+\/queues\/(\w+)\/consumers$/,
    ({ s, m, body }) => {
      const queue = s.queues.find((q) => q.queue_id === m[1]);
      // The API names a Worker consumer's script `script` (wrangler's `script_name`).
      const consumer = {
        consumer_id: nextId(false),
        type: "worker",
        script: body.script_name,
        ...body,
      };
      queue?.consumers.push(consumer);
      if (queue) queue.consumers_total_count = queue.consumers.length;
      return ok(consumer);
    },
  ],
  [
    "PUT",
    /^\/accounts\/\w+\/queues\/(\w+)\/consumers\/([\w-]+)$/,
    ({ body, m }) => ok({ consumer_id: m[2], type: "worker", ...body }),
  ],
  [
    "GET",
    /^\/accounts\/\w+\/workers\/scripts\/([\w-]+)\/deployments$/,
    ({ s, m }) =>
      ok({
        deployments: s.scripts[m[1]]
          ? [
              {
                id: "8b2f4d6a-1c3e-4a5b-9d7f-0e2c4a6b8d0f",
                source: "wrangler",
                strategy: "percentage",
                author_email: "alice@example.com",
                created_on: CREATED,
                versions: [{ version_id: VERSION_ID, percentage: 100 }],
              },
            ]
          : [],
      }),
  ],
  [
    "GET",
    /^\/accounts\/\w+\/workers\/scripts\/[\w-]+\/versions\/([\w-]+)$/,
    ({ m }) =>
      ok({
        id: m[1],
        number: 1,
        metadata: { author_email: "alice@example.com", source: "wrangler", created_on: CREATED },
        resources: { bindings: [], script: { etag: "etag" }, script_runtime: {} },
      }),
  ],
  [
    "GET",
    /^\/accounts\/\w+\/workers\/scripts\/([\w-]+)\/settings$/,
    ({ s, m }) =>
      s.scripts[m[1]]
        ? ok({ bindings: s.uploads.at(-1)?.bindings ?? [], compatibility_date: "2026-10-23" })
        : ERRORS.scriptNotFound,
  ],
  [
    "GET",
    /^\/accounts\/\w+\/r2\/buckets\/([\w-]+)$/,
    ({ s, m }) => {
      const bucket = s.r2.find((b) => b.name === m[1]);
      return bucket
        ? ok({ ...bucket, location: "WEUR", storage_class: "Standard" })
        : apiError(404, { code: 10006, message: "The specified bucket does not exist." });
    },
  ],
  [
    "GET",
    /^\/accounts\/\w+\/storage\/kv\/namespaces\/(\w+)$/,
    ({ s, m }) => {
      const ns = s.kv.find((n) => n.id === m[1]);
      return ns
        ? ok(ns)
        : apiError(404, { code: 10013, message: "get namespace: 'namespace not found'" });
    },
  ],
];

const ETAG = "0f3e7a9d5c2b4a1e8d6c4b2a09f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0";

/** A script or version upload: the Worker now exists, with the secrets it carried. */
function upload({ s, m, raw, headers }) {
  const metadata = multipartJson(raw, headers, "metadata") ?? {};
  const script = s.scripts[m[1]] ?? { secrets: [] };
  for (const b of metadata.bindings ?? []) {
    if (b.type === "secret_text" && !script.secrets.some((x) => x.name === b.name)) {
      script.secrets.push({ name: b.name, type: "secret_text" });
    }
  }
  script.migrationTag = metadata.migrations?.new_tag ?? script.migrationTag;
  s.scripts[m[1]] = script;
  s.uploads.push(metadata);
}

/** The JSON of one part of a multipart/form-data body. */
function multipartJson(raw, headers, name) {
  const boundary = /boundary=([^;]+)/.exec(String(headers["content-type"]))?.[1];
  if (boundary === undefined) return undefined;
  for (const part of raw.toString("utf8").split(`--${boundary}`)) {
    if (!part.includes(`name="${name}"`)) continue;
    const body = part.slice(part.indexOf("\r\n\r\n") + 4).replace(/\r\n$/, "");
    try {
      return JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
