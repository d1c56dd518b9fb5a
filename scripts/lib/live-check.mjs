/**
 * Whether the deployed instance answers at its public origin as other servers will ask it:
 * WebFinger for the owner, NodeInfo (the links document, then the document it links), and
 * the owner's actor as ActivityPub JSON. A new custom domain or workers.dev subdomain can
 * take minutes to answer, so the checks are tried a few times before giving up.
 */

const NODEINFO_REL = /^http:\/\/nodeinfo\.diaspora\.software\/ns\/schema\/2\.[01]$/;
const ACTIVITY_JSON = "application/activity+json";

/**
 * One GET of a JSON document: `{ ok: true, body }`, or why not. `unreachable` when nothing
 * answered at all (DNS, connection, TLS), as opposed to an answer that is not the document.
 */
async function getJson(fetchFn, url, accept) {
  let res;
  try {
    res = await fetchFn(url, { headers: { Accept: accept }, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    const cause = error?.cause?.code ?? error?.cause?.message ?? error?.message ?? String(error);
    return { ok: false, unreachable: true, detail: `no answer (${cause})` };
  }
  if (!res.ok) {
    await res.body?.cancel();
    return { ok: false, detail: `HTTP ${res.status}` };
  }
  try {
    return { ok: true, body: await res.json() };
  } catch {
    return { ok: false, detail: `HTTP ${res.status}, but not JSON` };
  }
}

/** The three checks, once. */
export async function checkOnce({ origin, username, fetch: fetchFn = globalThis.fetch }) {
  const host = new URL(origin).host;
  const checks = [];
  const resource = `acct:${username}@${host}`;
  const wf = await getJson(
    fetchFn,
    `${origin}/.well-known/webfinger?resource=${encodeURIComponent(resource)}`,
    "application/jrd+json",
  );
  const self = wf.ok
    ? wf.body?.links?.find((l) => l?.rel === "self" && typeof l.href === "string")?.href
    : undefined;
  if (!wf.ok) checks.push({ name: "WebFinger", ok: false, detail: wf.detail });
  else if (wf.body?.subject !== resource || self === undefined) {
    checks.push({ name: "WebFinger", ok: false, detail: `answered, but not for ${resource}` });
  } else checks.push({ name: "WebFinger", ok: true, detail: `${resource} → ${self}` });

  checks.push(await checkNodeInfo(fetchFn, origin));

  if (self === undefined) {
    checks.push({ name: "Actor", ok: false, detail: "not tried (no actor from WebFinger)" });
  } else {
    const actor = await getJson(fetchFn, self, ACTIVITY_JSON);
    if (!actor.ok) checks.push({ name: "Actor", ok: false, detail: actor.detail });
    else if (actor.body?.id !== self || typeof actor.body?.inbox !== "string") {
      checks.push({ name: "Actor", ok: false, detail: "answered, but not with this actor" });
    } else checks.push({ name: "Actor", ok: true, detail: `${actor.body.type} ${self}` });
  }
  const unreachable = wf.unreachable === true;
  return { ok: checks.every((c) => c.ok), unreachable, checks };
}

async function checkNodeInfo(fetchFn, origin) {
  const links = await getJson(fetchFn, `${origin}/.well-known/nodeinfo`, "application/json");
  if (!links.ok) return { name: "NodeInfo", ok: false, detail: links.detail };
  const href = (links.body?.links ?? [])
    .filter((l) => NODEINFO_REL.test(l?.rel ?? "") && typeof l.href === "string")
    .map((l) => l.href)
    .sort()
    .at(-1);
  if (href === undefined) return { name: "NodeInfo", ok: false, detail: "no NodeInfo 2.x link" };
  const doc = await getJson(fetchFn, href, "application/json");
  if (!doc.ok) return { name: "NodeInfo", ok: false, detail: `${href}: ${doc.detail}` };
  const software = doc.body?.software;
  if (typeof software?.name !== "string") {
    return { name: "NodeInfo", ok: false, detail: `${href}: no software named` };
  }
  return {
    name: "NodeInfo",
    ok: true,
    detail: `${software.name} ${software.version ?? ""}`.trim(),
  };
}

/**
 * The checks, tried up to `attempts` times `delayMs` apart until they pass; the last result.
 *
 * @param {{ origin: string, username: string, fetch?: typeof fetch, attempts?: number,
 *   delayMs?: number, onRetry?: (result: unknown) => void }} options
 */
export async function checkInstance(options) {
  const { attempts = 6, delayMs = 5000 } = options;
  let result = await checkOnce(options);
  for (let i = 1; i < attempts && !result.ok; i++) {
    options.onRetry?.(result);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    result = await checkOnce(options);
  }
  return result;
}

/**
 * What to do when the origin does not answer as the instance yet: point the domain at the
 * Worker, wait for DNS and the certificate, and what the workers.dev address can and cannot
 * do meanwhile.
 */
export function notLiveAdvice({ origin, username, worker, workersDev, accountId, result }) {
  const host = new URL(origin).host;
  const lines = [];
  if (host.endsWith(".workers.dev")) {
    lines.push(
      `${origin} is a workers.dev address: a new workers.dev subdomain can take a few minutes to appear in DNS. Try again shortly (\`npm run setup\` again changes nothing and checks again).`,
    );
    return lines.join("\n");
  }
  lines.push(
    result.unreachable
      ? `${origin} does not answer yet.`
      : `${origin} answers, but not as this Outpost yet (${result.checks.find((c) => !c.ok)?.detail}).`,
    "",
    `1. Point the domain at the Worker: in the Cloudflare dashboard, Workers & Pages → ${worker} → Settings → Domains & Routes → Add → Custom domain → ${host} (https://dash.cloudflare.com/${accountId}/workers/services/view/${worker}/production/settings). The domain's zone must be on this Cloudflare account. Or add it to wrangler.deploy.jsonc and run \`npm run deploy\`:`,
    `     "routes": [{ "pattern": "${host}", "custom_domain": true }]`,
    "   (A route such as `" +
      `${host}/*` +
      "` on a proxied DNS record works too; nothing else may answer on that host.)",
    "2. Wait for DNS and the certificate: a new custom domain usually answers within a few minutes (DNS propagation can take longer). Then run `npm run setup` again: it changes nothing and checks again.",
  );
  if (workersDev !== undefined) {
    lines.push(
      `3. Meanwhile the Worker answers at ${workersDev}, but it names itself ${origin}: other servers will only follow @${username}@${host} once ${origin} answers. Serving the instance from ${workersDev} instead would mean \`npm run setup -- --origin ${workersDev}\`, and the origin cannot change later without losing followers.`,
    );
  }
  return lines.join("\n");
}
